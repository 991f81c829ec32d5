#pragma once

#include "rpcplugin/asio.hpp"
#include "rpcplugin/http2/server_session.hpp"
#include "rpcplugin/transport/socket.hpp"

#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <string>

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

/**
 * The gRPC dispatcher one connection uses: routing, 415/405 answers, header checks, and
 * handler coroutines co-spawned on `ex` (the connection's strand). For driving a
 * `http2::server_session` without a socket (fuzzing, tests); `srv` must outlive it.
 */
std::unique_ptr<http2::dispatcher> make_dispatcher(server& srv, asio::any_io_executor ex,
                                                   std::string peer);
} // namespace rpcplugin::grpc::detail
