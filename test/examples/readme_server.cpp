// The README's example, compiled by the test build so that it stays true.
#include <rpcplugin/grpc/server.hpp>
#include <rpcplugin/transport/listener.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "grpc/testing/messages.pb.h" // SimpleRequest, SimpleResponse

namespace asio = boost::asio;
using grpc::testing::SimpleRequest;
using grpc::testing::SimpleResponse;

int main()
{
    asio::io_context io;
    rpcplugin::grpc::server server;
    server.add_unary<SimpleRequest, SimpleResponse>(
        "/grpc.testing.TestService/UnaryCall",
        [](rpcplugin::grpc::server_context&, const SimpleRequest& req,
           SimpleResponse& resp) -> asio::awaitable<rpcplugin::grpc::status>
        {
            resp.mutable_payload()->mutable_body()->assign(req.response_size(), 'x');
            co_return rpcplugin::grpc::status{}; // OK
        });
    auto ep = rpcplugin::transport::unix_endpoint("/tmp/example.sock");
    auto listener = rpcplugin::transport::listener::bind(io.get_executor(), ep).value();
    asio::co_spawn(io, server.serve(listener), asio::detached);
    io.run();
}
