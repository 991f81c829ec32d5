#pragma once

#include "rpcplugin/asio.hpp"
#include "rpcplugin/grpc/connection_stage.hpp"
#include "rpcplugin/http2/server_session.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace rpcplugin::grpc
{
class server;
}

namespace rpcplugin::grpc::detail
{
/**
 * The last step of every connection pipeline: protocol detection, TLS (when `c.tls`), then
 * HTTP/2 serving with the gRPC dispatcher, all within `c.handshake_deadline` until the
 * first SETTINGS frame. Moves from and closes `c.socket`.
 */
asio::awaitable<void> run_connection(server& srv, connection_context& c);

/**
 * The gRPC dispatcher one connection uses: routing, 415/405 answers, header checks, and
 * handler coroutines co-spawned on `ex` (the connection's strand). For driving a
 * `http2::server_session` without a socket (fuzzing, tests); `srv` must outlive it.
 * `peer` and `id` are what `server_context::peer()` and `connection_id()` report.
 */
std::unique_ptr<http2::dispatcher> make_dispatcher(server& srv, asio::any_io_executor ex,
                                                   std::string peer, std::uint64_t id = 0);
} // namespace rpcplugin::grpc::detail
