// The README's custom stage, composed with the built-in ones on a real server.
#include "bearer_token.hpp"

#include "support/local_server.hpp"
#include "support/run.hpp"

#include "grpc/health/v1/health.pb.h"

#include <rpcplugin/health/service.hpp>
#include <rpcplugin/stage/rate_limit.hpp>

#include <doctest/doctest.h>

namespace asio = boost::asio;
namespace rpcplugin
{
using msg = ::grpc::health::v1::HealthCheckRequest;
using reply = ::grpc::health::v1::HealthCheckResponse;

namespace
{
asio::awaitable<grpc::status> call(std::shared_ptr<grpc::channel> ch, grpc::call_options opts)
{
    msg req;
    reply resp;
    co_return co_await ch->unary("/example.Echo/Call", req, resp, opts);
}
} // namespace

TEST_CASE("README: a bearer-token stage composed with the admission policy and the rate limiter")
{
    asio::io_context io;
    grpc::server server;
    int handled = 0;
    server.add_unary<msg, reply>(
        "/example.Echo/Call",
        [&handled](grpc::server_context&, const msg&, reply&) -> asio::awaitable<grpc::status>
        {
            ++handled;
            co_return grpc::status();
        });
    stage::rate_limit_options limit;
    limit.requests_per_second = 100;
    limit.burst = 10;
    server.options().admission.max_connections = 64;
    server.add_call_stage(example::bearer_token("s3cret"));
    server.add_call_stage(stage::rate_limit(limit));
    test::local_server local(io, server);
    local.start();
    auto ch = test::run(io, local.connect());

    grpc::status s = test::run(io, call(ch, grpc::call_options{}));
    CHECK(s.code() == grpc::status_code::unauthenticated);
    CHECK(s.message() == "missing or wrong bearer token");

    grpc::call_options wrong;
    wrong.metadata.push_back({"authorization", "Bearer guess"});
    CHECK(test::run(io, call(ch, wrong)).code() == grpc::status_code::unauthenticated);
    CHECK(handled == 0);

    grpc::call_options right;
    right.metadata.push_back({"authorization", "Bearer s3cret"});
    CHECK(test::run(io, call(ch, right)).ok());
    CHECK(handled == 1);
    ch->close();
}
} // namespace rpcplugin
