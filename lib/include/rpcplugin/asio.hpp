#pragma once

/**
 * @file
 * The one place that names Boost.Asio for the library's headers, and the completion
 * tokens the library uses internally.
 */

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace rpcplugin
{
namespace asio = boost::asio;

/** Completion token for `co_await op(..., use_tuple)`: errors come back as values. */
inline constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
} // namespace rpcplugin
