// Call and connection stages on a real server over a Unix socket: order, short-circuit,
// work after the handler, and what a connection stage may change.
#include "support/local_server.hpp"
#include "support/run.hpp"

#include "grpc/health/v1/health.pb.h"

#include <rpcplugin/grpc/server_context.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;
namespace rpcplugin
{
using msg = ::grpc::health::v1::HealthCheckRequest;
using reply = ::grpc::health::v1::HealthCheckResponse;

namespace
{
struct journal
{
    std::vector<std::string> lines;
};

asio::awaitable<grpc::status> outer(std::shared_ptr<journal> j, grpc::server_context& ctx,
                                    grpc::call_next next)
{
    j->lines.push_back("outer before " + ctx.method());
    grpc::status s = co_await next(ctx);
    j->lines.push_back("outer after " + std::string(to_string(s.code())));
    co_return s;
}

// Refuses calls without "x-key: open", before the handler runs.
asio::awaitable<grpc::status> gate(std::shared_ptr<journal> j, grpc::server_context& ctx,
                                   grpc::call_next next)
{
    const std::string* key = grpc::find(ctx.client_metadata(), "x-key");
    if (!key || *key != "open")
    {
        j->lines.push_back("gate refused");
        co_return grpc::status(grpc::status_code::permission_denied, "no key");
    }
    j->lines.push_back("gate passed");
    co_return co_await next(ctx);
}

asio::awaitable<void> count_connections(std::shared_ptr<journal> j, grpc::connection_context& c,
                                        grpc::connection_next next)
{
    j->lines.push_back("connection " + std::to_string(c.id) + " from " +
                       (c.peer.starts_with("unix:") ? std::string("unix") : c.peer));
    co_await next(c);
    j->lines.push_back("connection " + std::to_string(c.id) + " ended");
}

asio::awaitable<grpc::status> call(std::shared_ptr<grpc::channel> ch, grpc::call_options opts)
{
    msg req;
    reply resp;
    co_return co_await ch->unary("/test.Echo/Call", req, resp, opts);
}

struct fixture
{
    asio::io_context io;
    grpc::server srv;
    test::local_server local{io, srv};
    std::shared_ptr<journal> j = std::make_shared<journal>();
    std::uint64_t last_connection_id = 0;

    fixture()
    {
        srv.add_unary<msg, reply>(
            "/test.Echo/Call",
            [this](grpc::server_context& ctx, const msg&, reply&) -> asio::awaitable<grpc::status>
            {
                j->lines.push_back("handler");
                last_connection_id = ctx.connection_id();
                co_return grpc::status(grpc::status_code::not_found, "nothing");
            });
    }
};
} // namespace

TEST_SUITE("grpc")
{
    TEST_CASE("call stages run in the order added, around the handler, and may end the call")
    {
        fixture f;
        auto j = f.j;
        f.srv.add_call_stage([j](grpc::server_context& ctx, grpc::call_next next)
                             { return outer(j, ctx, next); });
        f.srv.add_call_stage([j](grpc::server_context& ctx, grpc::call_next next)
                             { return gate(j, ctx, next); });
        f.local.start();
        auto ch = test::run(f.io, f.local.connect());

        grpc::call_options with_key;
        with_key.metadata.push_back({"x-key", "open"});
        grpc::status s = test::run(f.io, call(ch, with_key));
        CHECK(s.code() == grpc::status_code::not_found);
        CHECK(f.j->lines == std::vector<std::string>{"outer before /test.Echo/Call", "gate passed",
                                                     "handler", "outer after NOT_FOUND"});

        f.j->lines.clear();
        s = test::run(f.io, call(ch, grpc::call_options{}));
        CHECK(s.code() == grpc::status_code::permission_denied);
        CHECK(s.message() == "no key");
        CHECK(f.j->lines == std::vector<std::string>{"outer before /test.Echo/Call", "gate refused",
                                                     "outer after PERMISSION_DENIED"});
        ch->close();
    }

    TEST_CASE("unknown methods are answered before the call stages")
    {
        fixture f;
        auto j = f.j;
        f.srv.add_call_stage([j](grpc::server_context& ctx, grpc::call_next next)
                             { return outer(j, ctx, next); });
        f.local.start();
        auto ch = test::run(f.io, f.local.connect());
        msg req;
        reply resp;
        grpc::status s =
            test::run(f.io, ch->unary("/test.Echo/Missing", req, resp, grpc::call_options{}));
        CHECK(s.code() == grpc::status_code::unimplemented);
        CHECK(f.j->lines.empty());
        ch->close();
    }

    TEST_CASE("connection stages wrap each connection; calls know their connection's id")
    {
        fixture f;
        auto j = f.j;
        f.srv.add_connection_stage([j](grpc::connection_context& c, grpc::connection_next next)
                                   { return count_connections(j, c, next); });
        f.local.start();
        auto a = test::run(f.io, f.local.connect());
        test::run(f.io, call(a, grpc::call_options{}));
        std::uint64_t id_a = f.last_connection_id;
        auto b = test::run(f.io, f.local.connect());
        test::run(f.io, call(b, grpc::call_options{}));
        std::uint64_t id_b = f.last_connection_id;
        CHECK(id_a != id_b);
        a->close();
        b->close();
        test::run_until(f.io, [&] { return f.srv.connection_count() == 0; });
        test::run_until(f.io, [&] { return f.j->lines.size() == 6; });
        CHECK(f.j->lines[0] == "connection " + std::to_string(id_a) + " from unix");
        CHECK(f.j->lines[1] == "handler");
        CHECK(f.j->lines[2] == "connection " + std::to_string(id_b) + " from unix");
        CHECK(f.j->lines[3] == "handler");
        CHECK(std::count(f.j->lines.begin(), f.j->lines.end(),
                         "connection " + std::to_string(id_a) + " ended") == 1);
    }
}
} // namespace rpcplugin
