// grpc.health.v1 on a real server: Watch sees every change in order, and the drain turns
// every name NOT_SERVING (server::on_drain) while the watch is still open.
#include "support/local_server.hpp"
#include "support/run.hpp"

#include "grpc/health/v1/health.pb.h"

#include <rpcplugin/grpc/client_call.hpp>
#include <rpcplugin/health/service.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace rpcplugin
{
using pb_request = ::grpc::health::v1::HealthCheckRequest;
using pb_response = ::grpc::health::v1::HealthCheckResponse;

namespace
{
asio::awaitable<std::shared_ptr<grpc::client_call>> start_watch(std::shared_ptr<grpc::channel> ch,
                                                                std::string name)
{
    grpc::call_options opts;
    auto call = ch->start_call("/grpc.health.v1.Health/Watch", opts);
    pb_request req;
    req.set_service(name);
    std::string bytes = req.SerializeAsString();
    bool ok = co_await call->write(bytes);
    REQUIRE(ok);
    call->writes_done();
    co_return call;
}

asio::awaitable<int> next_status(std::shared_ptr<grpc::client_call> call)
{
    pb_response resp;
    bool ok = co_await call->read(resp);
    co_return ok ? static_cast<int>(resp.status()) : -1;
}

asio::awaitable<grpc::status> check(std::shared_ptr<grpc::channel> ch, std::string name)
{
    pb_request req;
    req.set_service(name);
    pb_response resp;
    grpc::call_options opts;
    grpc::status s = co_await ch->unary("/grpc.health.v1.Health/Check", req, resp, opts);
    if (s.ok())
        s = grpc::status(grpc::status_code::ok, std::to_string(resp.status()));
    co_return s;
}

constexpr int serving = pb_response::SERVING;
constexpr int not_serving = pb_response::NOT_SERVING;
constexpr int service_unknown = pb_response::SERVICE_UNKNOWN;
} // namespace

TEST_SUITE("health")
{
    TEST_CASE("Watch sees every change in order, then NOT_SERVING when the drain starts")
    {
        asio::io_context io;
        grpc::server srv;
        health::service h;
        h.set_status("plugin", health::serving_status::serving);
        h.add_to(srv);
        test::local_server local(io, srv);
        local.start();
        auto ch = test::run(io, local.connect());

        auto watch = test::run(io, start_watch(ch, "plugin"));
        CHECK(test::run(io, next_status(watch)) == serving);
        // Three changes in a row, before the watcher runs again: each is delivered.
        h.set_status("plugin", health::serving_status::not_serving);
        h.set_status("plugin", health::serving_status::serving);
        h.set_status("plugin", health::serving_status::not_serving);
        CHECK(test::run(io, next_status(watch)) == not_serving);
        CHECK(test::run(io, next_status(watch)) == serving);
        CHECK(test::run(io, next_status(watch)) == not_serving);
        h.set_status("plugin", health::serving_status::serving);
        CHECK(test::run(io, next_status(watch)) == serving);

        // A name not set yet: SERVICE_UNKNOWN for Watch (and NOT_FOUND for Check), then
        // its first status.
        auto later = test::run(io, start_watch(ch, "later"));
        CHECK(test::run(io, next_status(later)) == service_unknown);
        CHECK(test::run(io, check(ch, "later")).code() == grpc::status_code::not_found);
        h.set_status("later", health::serving_status::serving);
        CHECK(test::run(io, next_status(later)) == serving);

        // The drain: both watchers see NOT_SERVING before the connection goes.
        bool drained = false;
        asio::co_spawn(io, srv.drain(2s), [&](std::exception_ptr) { drained = true; });
        CHECK(test::run(io, next_status(watch)) == not_serving);
        CHECK(test::run(io, next_status(later)) == not_serving);
        // set_status after shutdown is ignored.
        h.set_status("plugin", health::serving_status::serving);
        CHECK(h.status("plugin") == health::serving_status::not_serving);
        watch->cancel();
        later->cancel();
        ch->close();
        test::run_until(io, [&] { return drained; });
    }
}
} // namespace rpcplugin
