#pragma once

#include "rpcplugin/asio.hpp"
#include "rpcplugin/transport/socket.hpp"

#include <boost/asio/ssl/context.hpp>

#include <memory>

namespace rpcplugin::grpc
{
class server;
}

namespace rpcplugin::grpc::detail
{
/** The stages of one connection: detection, TLS, HTTP/2 serving with the gRPC dispatcher. */
asio::awaitable<void> run_connection(server& srv, transport::tcp_socket sock,
                                     std::shared_ptr<asio::ssl::context> tls);
/** As above, for a Unix socket. */
asio::awaitable<void> run_connection(server& srv, transport::unix_socket sock,
                                     std::shared_ptr<asio::ssl::context> tls);
} // namespace rpcplugin::grpc::detail
