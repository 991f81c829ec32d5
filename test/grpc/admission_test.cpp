// The server's admission policy (server_options::admission, the handshake deadline and
// the idle timeout) on a real server over a Unix socket.
#include "support/local_server.hpp"
#include "support/run.hpp"

#include "grpc/health/v1/health.pb.h"

#include <rpcplugin/grpc/server_context.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

namespace asio = boost::asio;
using namespace std::chrono_literals;
namespace rpcplugin
{
using msg = ::grpc::health::v1::HealthCheckRequest;
using reply = ::grpc::health::v1::HealthCheckResponse;

namespace
{
asio::awaitable<grpc::status> call(std::shared_ptr<grpc::channel> ch)
{
    msg req;
    reply resp;
    grpc::call_options opts;
    opts.timeout = 5s;
    co_return co_await ch->unary("/test.Echo/Call", req, resp, opts);
}

// Connects and calls once; a refused connection fails either way, as UNAVAILABLE.
asio::awaitable<grpc::status> connect_and_call(test::local_server& local, asio::io_context& io)
{
    auto r = co_await grpc::channel::connect(io.get_executor(), local.target());
    if (!r)
        co_return grpc::status(grpc::status_code::unavailable, r.error().message());
    auto ch = *r;
    grpc::status s = co_await call(ch);
    ch->close();
    co_return s;
}

struct fixture
{
    asio::io_context io;
    grpc::server srv;
    test::local_server local{io, srv};

    explicit fixture(const std::function<void(grpc::server_options&)>& configure)
    {
        configure(srv.options());
        srv.add_unary<msg, reply>(
            "/test.Echo/Call",
            [](grpc::server_context&, const msg&, reply&) -> asio::awaitable<grpc::status>
            { co_return grpc::status(); });
        local.start();
    }
};
} // namespace

TEST_SUITE("grpc")
{
    TEST_CASE("admission: connections beyond max_connections are closed; others keep working")
    {
        fixture f([](grpc::server_options& o) { o.admission.max_connections = 1; });
        auto first = test::run(f.io, f.local.connect());
        CHECK(test::run(f.io, call(first)).ok());

        grpc::status refused = test::run(f.io, connect_and_call(f.local, f.io));
        CHECK(refused.code() == grpc::status_code::unavailable);

        // The admitted connection is unharmed.
        CHECK(test::run(f.io, call(first)).ok());
        first->close();
        test::run_until(f.io, [&] { return f.srv.connection_count() == 0; });
        // Its slot is free again.
        CHECK(test::run(f.io, connect_and_call(f.local, f.io)).ok());
    }

    TEST_CASE("admission: the handshake timeout ends a connection that sends nothing")
    {
        fixture f([](grpc::server_options& o) { o.http2.preface_timeout = 100ms; });
        asio::local::stream_protocol::socket silent(f.io);
        silent.connect(asio::local::stream_protocol::endpoint(f.local.target().substr(5)));
        // The server closes it: a read sees EOF well before the test's watchdog.
        char byte = 0;
        boost::system::error_code ec;
        bool closed = false;
        silent.async_read_some(asio::buffer(&byte, 1),
                               [&](boost::system::error_code e, std::size_t)
                               {
                                   ec = e;
                                   closed = true;
                               });
        test::run_until(
            f.io, [&] { return closed; }, 5s);
        CHECK(ec == asio::error::eof);
        // A well-behaved client is still served.
        CHECK(test::run(f.io, connect_and_call(f.local, f.io)).ok());
    }

    TEST_CASE("admission: the idle timeout closes a connection without calls, not one in use")
    {
        fixture f([](grpc::server_options& o) { o.http2.idle_timeout = 200ms; });
        auto ch = test::run(f.io, f.local.connect());
        CHECK(test::run(f.io, call(ch)).ok());
        CHECK(ch->is_open());
        // Idle now: the server says GOAWAY and closes; the channel sees it.
        test::run_until(
            f.io, [&] { return !ch->is_open(); }, 5s);
        test::run_until(
            f.io, [&] { return f.srv.connection_count() == 0; }, 5s);
        // A new connection is served as usual.
        CHECK(test::run(f.io, connect_and_call(f.local, f.io)).ok());
    }
}
} // namespace rpcplugin
