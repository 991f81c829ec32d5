// The rate-limit stage in front of a real server, called over a Unix socket by our
// client; the bucket runs on a fake clock the test advances.
#include "support/local_server.hpp"
#include "support/run.hpp"

#include "grpc/health/v1/health.pb.h"

#include <rpcplugin/grpc/server_context.hpp>
#include <rpcplugin/health/service.hpp>
#include <rpcplugin/stage/rate_limit.hpp>

#include <doctest/doctest.h>

#include <chrono>
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
struct fake_clock
{
    std::shared_ptr<stage::token_bucket::clock::time_point> t =
        std::make_shared<stage::token_bucket::clock::time_point>(10s);

    std::function<stage::token_bucket::clock::time_point()> fn() const
    {
        return [t = t] { return *t; };
    }
    void advance(stage::token_bucket::clock::duration d) const { *t += d; }

    // Waiting mode's sleep on this clock: moves it on by what was asked (or by `step` when
    // set, so that one wait takes several sleeps), and adds up the time slept.
    void install(stage::rate_limit_options& opts,
                 std::shared_ptr<stage::token_bucket::clock::duration> slept,
                 stage::token_bucket::clock::duration step = {}) const
    {
        opts.now = fn();
        opts.sleep = [t = t, slept,
                      step](stage::token_bucket::clock::duration d) -> asio::awaitable<bool>
        {
            const auto by =
                step > stage::token_bucket::clock::duration::zero() ? std::min(d, step) : d;
            *t += by;
            *slept += by;
            co_return true;
        };
    }
};

// Two application methods that count the calls their handlers saw, and health.
struct fixture
{
    asio::io_context io;
    grpc::server srv;
    health::service health;
    int handled = 0;
    test::local_server local{io, srv};

    explicit fixture(stage::rate_limit_options opts)
    {
        for (const char* path : {"/test.Limited/A", "/test.Limited/B"})
            srv.add_unary<msg, reply>(
                path,
                [this](grpc::server_context&, const msg&, reply&) -> asio::awaitable<grpc::status>
                {
                    ++handled;
                    co_return grpc::status();
                });
        srv.add_client_streaming<msg, reply>("/test.Limited/Upload",
                                             [this](grpc::server_context&,
                                                    grpc::server_reader<msg>& r,
                                                    reply&) -> asio::awaitable<grpc::status>
                                             {
                                                 ++handled;
                                                 msg m;
                                                 for (;;)
                                                 {
                                                     bool more = co_await r.read(m);
                                                     if (!more)
                                                         break;
                                                 }
                                                 co_return grpc::status();
                                             });
        health.set_status("", health::serving_status::serving);
        health.add_to(srv);
        srv.add_call_stage(stage::rate_limit(std::move(opts)));
        local.start();
    }
};

asio::awaitable<grpc::status> call(std::shared_ptr<grpc::channel> ch, std::string path)
{
    msg req;
    reply resp;
    grpc::call_options opts;
    co_return co_await ch->unary(path, req, resp, opts);
}

asio::awaitable<grpc::status> upload(std::shared_ptr<grpc::channel> ch, int messages)
{
    grpc::call_options opts;
    auto c = ch->start_call("/test.Limited/Upload", opts);
    msg m;
    m.set_service(std::string(1000, 'x'));
    std::string bytes = m.SerializeAsString();
    for (int i = 0; i < messages; ++i)
    {
        bool ok = co_await c->write(bytes);
        if (!ok)
            break;
    }
    c->writes_done();
    co_return co_await c->finish();
}

void check_exceeded(const grpc::status& s)
{
    CHECK(s.code() == grpc::status_code::resource_exhausted);
    CHECK(s.message() == "rate limit exceeded");
}
} // namespace

TEST_SUITE("stage")
{
    TEST_CASE("rate_limit: the third call of a burst of 2 is refused before its handler; health "
              "still answers; a call is admitted again 0.5 s later")
    {
        fake_clock clock;
        stage::rate_limit_options opts;
        opts.requests_per_second = 2;
        opts.burst = 2;
        opts.now = clock.fn();
        fixture f(opts);
        auto ch = test::run(f.io, f.local.connect());

        CHECK(test::run(f.io, call(ch, "/test.Limited/A")).ok());
        CHECK(test::run(f.io, call(ch, "/test.Limited/B")).ok());
        check_exceeded(test::run(f.io, call(ch, "/test.Limited/A")));
        CHECK(f.handled == 2);

        // Exempt by default: health is neither refused nor counted.
        for (int i = 0; i < 5; ++i)
            CHECK(test::run(f.io, call(ch, "/grpc.health.v1.Health/Check")).ok());

        clock.advance(499ms);
        check_exceeded(test::run(f.io, call(ch, "/test.Limited/A")));
        clock.advance(1ms);
        CHECK(test::run(f.io, call(ch, "/test.Limited/A")).ok());
        check_exceeded(test::run(f.io, call(ch, "/test.Limited/A")));
        CHECK(f.handled == 3);
        ch->close();
    }

    TEST_CASE("rate_limit: a refused client-streaming call never reaches its handler")
    {
        fake_clock clock;
        stage::rate_limit_options opts;
        opts.requests_per_second = 1;
        opts.burst = 1;
        opts.now = clock.fn();
        fixture f(opts);
        auto ch = test::run(f.io, f.local.connect());
        CHECK(test::run(f.io, upload(ch, 3)).ok());
        check_exceeded(test::run(f.io, upload(ch, 50)));
        CHECK(f.handled == 1);
        // The connection is unharmed.
        CHECK(test::run(f.io, call(ch, "/grpc.health.v1.Health/Check")).ok());
        ch->close();
    }

    TEST_CASE("rate_limit: per-connection buckets are independent")
    {
        fake_clock clock;
        stage::rate_limit_options opts;
        opts.requests_per_second = 1;
        opts.burst = 1;
        opts.scope = stage::rate_limit_scope::per_connection;
        opts.now = clock.fn();
        fixture f(opts);
        auto a = test::run(f.io, f.local.connect());
        auto b = test::run(f.io, f.local.connect());
        CHECK(test::run(f.io, call(a, "/test.Limited/A")).ok());
        check_exceeded(test::run(f.io, call(a, "/test.Limited/A")));
        CHECK(test::run(f.io, call(b, "/test.Limited/A")).ok());
        check_exceeded(test::run(f.io, call(b, "/test.Limited/B")));
        a->close();
        b->close();
    }

    TEST_CASE("rate_limit: per-method buckets are independent")
    {
        fake_clock clock;
        stage::rate_limit_options opts;
        opts.requests_per_second = 1;
        opts.burst = 1;
        opts.scope = stage::rate_limit_scope::per_method;
        opts.now = clock.fn();
        fixture f(opts);
        auto ch = test::run(f.io, f.local.connect());
        CHECK(test::run(f.io, call(ch, "/test.Limited/A")).ok());
        check_exceeded(test::run(f.io, call(ch, "/test.Limited/A")));
        CHECK(test::run(f.io, call(ch, "/test.Limited/B")).ok());
        check_exceeded(test::run(f.io, call(ch, "/test.Limited/B")));
        clock.advance(1s);
        CHECK(test::run(f.io, call(ch, "/test.Limited/A")).ok());
        ch->close();
    }

    TEST_CASE("rate_limit: exemptions are configurable")
    {
        fake_clock clock;
        stage::rate_limit_options opts;
        opts.requests_per_second = 1;
        opts.burst = 1;
        opts.exempt_services = {"test.Limited"};
        opts.now = clock.fn();
        fixture f(opts);
        auto ch = test::run(f.io, f.local.connect());
        for (int i = 0; i < 3; ++i)
            CHECK(test::run(f.io, call(ch, "/test.Limited/A")).ok());
        CHECK(test::run(f.io, call(ch, "/grpc.health.v1.Health/Check")).ok());
        check_exceeded(test::run(f.io, call(ch, "/grpc.health.v1.Health/Check")));
        ch->close();
    }

    TEST_CASE("rate_limit: waiting mode admits a call after sleeping exactly until its token")
    {
        fake_clock clock;
        auto slept = std::make_shared<stage::token_bucket::clock::duration>();
        stage::rate_limit_options opts; // one token every 100 ms
        opts.requests_per_second = 10;
        opts.burst = 1;
        opts.max_wait = 5s;
        clock.install(opts, slept);
        fixture f(opts);
        auto ch = test::run(f.io, f.local.connect());
        CHECK(test::run(f.io, call(ch, "/test.Limited/A")).ok());
        CHECK(*slept == stage::token_bucket::clock::duration::zero());
        CHECK(test::run(f.io, call(ch, "/test.Limited/A")).ok()); // waited for it
        CHECK(*slept == 100ms);
        CHECK(f.handled == 2);
        ch->close();
    }

    TEST_CASE("rate_limit: waiting mode keeps waiting across short sleeps, up to max_wait")
    {
        fake_clock clock;
        auto slept = std::make_shared<stage::token_bucket::clock::duration>();
        stage::rate_limit_options opts;
        opts.requests_per_second = 10;
        opts.burst = 1;
        opts.max_wait = 150ms;
        clock.install(opts, slept, 30ms); // each sleep ends early: the stage asks again
        fixture f(opts);
        auto ch = test::run(f.io, f.local.connect());
        CHECK(test::run(f.io, call(ch, "/test.Limited/A")).ok());
        CHECK(test::run(f.io, call(ch, "/test.Limited/A")).ok());
        // Sleeps of 30, 30, 30 and 10 ms reach the token (the bucket counts in doubles: the
        // last sleep may be a nanosecond longer).
        CHECK(*slept >= 100ms);
        CHECK(*slept <= 100ms + 1us);
        *slept = {};
        CHECK(test::run(f.io, call(ch, "/test.Limited/A")).ok()); // the next one, 100 ms on
        CHECK(*slept >= 100ms);
        CHECK(*slept <= 100ms + 1us);
        CHECK(f.handled == 3);
        ch->close();
    }

    TEST_CASE("rate_limit: waiting mode refuses at once when the token would come after max_wait")
    {
        fake_clock clock;
        auto slept = std::make_shared<stage::token_bucket::clock::duration>();
        stage::rate_limit_options opts;
        opts.requests_per_second = 0.1; // one token every 10 s
        opts.burst = 1;
        opts.max_wait = 200ms;
        clock.install(opts, slept);
        fixture f(opts);
        auto ch = test::run(f.io, f.local.connect());
        CHECK(test::run(f.io, call(ch, "/test.Limited/A")).ok());
        check_exceeded(test::run(f.io, call(ch, "/test.Limited/A")));
        CHECK(*slept == stage::token_bucket::clock::duration::zero());
        CHECK(f.handled == 1);
        ch->close();
    }

    TEST_CASE("rate_limit: waiting mode by default sleeps on a real timer")
    {
        stage::rate_limit_options opts; // real clock and timer: one token every 20 ms
        opts.requests_per_second = 50;
        opts.burst = 1;
        opts.max_wait = 5s;
        fixture f(opts);
        auto ch = test::run(f.io, f.local.connect());
        CHECK(test::run(f.io, call(ch, "/test.Limited/A")).ok());
        CHECK(test::run(f.io, call(ch, "/test.Limited/A")).ok()); // waited for it
        CHECK(f.handled == 2);
        ch->close();
    }
}
} // namespace rpcplugin
