#pragma once

/**
 * @file
 * What the router knows of a method: its kind and its raw handler.
 */

#include "rpcplugin/asio.hpp"
#include "rpcplugin/grpc/status.hpp"

#include <functional>
#include <optional>
#include <string_view>

namespace rpcplugin::grpc
{
class server_context;

/** The four gRPC call shapes. */
enum class rpc_kind
{
    unary,
    client_streaming,
    server_streaming,
    bidi_streaming,
};

/** "unary", "client_streaming", "server_streaming" or "bidi_streaming". */
std::string_view to_string(rpc_kind kind) noexcept;

/** The two names of a method path `/package.Service/Method`. */
struct method_path
{
    /** `package.Service`. */
    std::string_view service;
    /** `Method`. */
    std::string_view method;
};

/**
 * Splits `/package.Service/Method` (the leading `/` optional) at its first `/` after the
 * service; `nullopt` when there is no second `/`. The views point into `path`.
 */
std::optional<method_path> split_method_path(std::string_view path) noexcept;

/**
 * A handler over raw message bytes. It reads and writes through the context and returns
 * the call's status; the framework sends it as trailers. A handler that throws ends its
 * call with UNKNOWN (the exception is logged).
 */
using raw_handler = std::function<asio::awaitable<status>(server_context&)>;

/** A registered method. */
struct method_entry
{
    rpc_kind kind = rpc_kind::unary; ///< The method's streaming kind.
    raw_handler handler;             ///< Runs each call of the method.
};
} // namespace rpcplugin::grpc
