#pragma once

/**
 * @file
 * Strands for connections, made so that posting through them does not allocate.
 */

#include "rpcplugin/asio.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

namespace rpcplugin::detail
{
/**
 * A new strand on `ex`. When `ex` is an io_context's plain executor, the strand is made
 * on that concrete executor: `strand<io_context::executor_type>` fits in
 * `any_io_executor`'s small-object buffer, whereas `strand<any_io_executor>` does not and
 * nests a second type-erased executor, so that every post, dispatch and handler-work
 * guard through it allocated (several times per operation: the require/prefer
 * conversions and the `blocking` query of the inner executor).
 */
inline asio::any_io_executor make_strand(const asio::any_io_executor& ex)
{
    if (const auto* io = ex.target<asio::io_context::executor_type>())
        return asio::make_strand(*io);
    return asio::make_strand(ex);
}
} // namespace rpcplugin::detail
