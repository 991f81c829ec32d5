// Connection-level flow control over many calls: bytes a call still holds for
// backpressure when its stream closes must go back to the connection window, or a
// long-lived connection stalls once the window (8 MiB by default) has leaked away.
#include "support/run.hpp"
#include "support/temp_dir.hpp"

#include <rpcplugin/grpc/channel.hpp>
#include <rpcplugin/grpc/server.hpp>
#include <rpcplugin/grpc/server_context.hpp>
#include <rpcplugin/transport/listener.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <doctest/doctest.h>

#include <memory>
#include <string>

namespace
{
namespace asio = boost::asio;
namespace grpc = rpcplugin::grpc;

// Small messages: one DATA frame each, so the whole message is held until it is taken.
constexpr std::size_t message_size = 1024;
constexpr int calls = 10000; // about 10 MiB each way, past the 8 MiB connection windows

asio::awaitable<grpc::status> echo(grpc::server_context& ctx)
{
    std::string msg;
    bool got = co_await ctx.read(msg);
    if (!got)
        co_return grpc::status(grpc::status_code::internal, "no request");
    co_await ctx.write(msg);
    co_return grpc::status();
}

// Takes the first message and ends the call; the client's second one may be queued unread.
asio::awaitable<grpc::status> first_only(grpc::server_context& ctx)
{
    std::string msg;
    co_await ctx.read(msg);
    co_return grpc::status();
}

asio::awaitable<void> many_calls(std::shared_ptr<grpc::channel> ch)
{
    const std::string payload(message_size, 'w');
    const std::string_view request = payload;
    for (int i = 0; i < calls; ++i)
    {
        // The response and the trailers usually arrive together: the stream is closed
        // before `read` takes the message.
        auto call = ch->start_call("/t.T/Echo");
        co_await call->write(request);
        call->writes_done();
        grpc::status s = co_await call->finish(); // the response is never read
        REQUIRE_MESSAGE(s.ok(), "echo call ", i, ": ", s.message());
    }
    for (int i = 0; i < calls; ++i)
    {
        auto call = ch->start_call("/t.T/FirstOnly");
        co_await call->write(request);
        co_await call->write(request);
        call->writes_done();
        grpc::status s = co_await call->finish();
        REQUIRE_MESSAGE(s.ok(), "first-only call ", i, ": ", s.message());
    }
    ch->close();
}

asio::awaitable<void> connect_and_call(asio::io_context& io, std::string target)
{
    auto connected = co_await grpc::channel::connect(io.get_executor(), target);
    REQUIRE_MESSAGE(connected.has_value(), connected.error().message());
    std::shared_ptr<grpc::channel> ch = *connected;
    co_await asio::co_spawn(ch->get_executor(), many_calls(ch), asio::use_awaitable);
}
} // namespace

TEST_CASE("unread bytes of closed calls go back to the connection window")
{
    rpcplugin::test::temp_dir dir;
    grpc::server server;
    server.add_method("/t.T/Echo", grpc::rpc_kind::unary, echo);
    server.add_method("/t.T/FirstOnly", grpc::rpc_kind::client_streaming, first_only);
    asio::io_context io;
    const std::string path = dir.file("w.sock");
    auto listener = rpcplugin::transport::listener::bind(io.get_executor(),
                                                         rpcplugin::transport::unix_endpoint(path))
                        .value();
    asio::co_spawn(io, server.serve(listener), asio::detached);

    rpcplugin::test::run(io, connect_and_call(io, "unix:" + path), std::chrono::seconds(60));

    listener.close();
    io.restart();
    io.run_for(std::chrono::milliseconds(200));
}
