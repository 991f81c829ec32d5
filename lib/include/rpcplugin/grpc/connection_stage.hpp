#pragma once

/**
 * @file
 * Per-connection stages: coroutines that run, in order, when a connection is accepted and
 * around the whole life of that connection.
 */

#include "rpcplugin/asio.hpp"
#include "rpcplugin/http2/settings.hpp"
#include "rpcplugin/transport/socket.hpp"

#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

namespace rpcplugin::grpc
{
class connection_next;

/**
 * What a connection stage sees and may change before the connection is served. The
 * server fills it from its options; stages adjust it; the last step (protocol detection,
 * TLS, HTTP/2) reads it.
 */
struct connection_context
{
    /** A number unique among this server's connections (`server_context::connection_id`). */
    std::uint64_t id = 0;
    /** The peer: `ip:port`, or `unix:` and the peer's path (usually empty). */
    std::string peer;
    /** The accepted socket. It is served, moved from and closed by the last step; a stage
        may inspect it (socket options, peer credentials) before calling `next`. */
    transport::socket& socket;
    /** When set, the client must complete a TLS handshake that negotiates ALPN "h2". */
    std::shared_ptr<asio::ssl::context> tls;
    /** One deadline for the TLS handshake, the client preface and the first SETTINGS. */
    std::chrono::steady_clock::time_point handshake_deadline;
    /** The HTTP/2 settings and limits of this connection (a copy of the server's). */
    http2::settings http2;
};

/**
 * A per-connection stage: `awaitable<void>(connection_context&, connection_next)`. It
 * refuses the connection by returning without calling `next` (the socket is then closed),
 * or changes the context and awaits `next(c)`, which completes when the connection ended.
 * A stage runs on the connection's strand; stages are shared by all connections, so state
 * they keep must be safe for concurrent use when the io_context runs on several threads.
 */
using connection_stage = std::function<asio::awaitable<void>(connection_context&, connection_next)>;

/** The rest of the connection pipeline: the later stages, then the server's own serving. */
class connection_next
{
public:
    /** The server's own serving of the connection, after every stage. */
    using last_step = std::function<asio::awaitable<void>(connection_context&)>;

    /** Internal: made by the server for each connection. */
    connection_next(std::span<const connection_stage> stages, const last_step& last) noexcept
        : stages_(stages)
        , last_(&last)
    {
    }

    /** Runs the next stage (or serves the connection); completes when the connection ended. */
    asio::awaitable<void> operator()(connection_context& c) const
    {
        if (stages_.empty())
            return (*last_)(c);
        return stages_.front()(c, connection_next(stages_.subspan(1), *last_));
    }

private:
    std::span<const connection_stage> stages_;
    const last_step* last_;
};
} // namespace rpcplugin::grpc
