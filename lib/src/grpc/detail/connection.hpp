#pragma once

#include "rpcplugin/asio.hpp"
#include "rpcplugin/grpc/connection_stage.hpp"

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
} // namespace rpcplugin::grpc::detail
