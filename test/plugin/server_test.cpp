#include "rpcplugin/plugin/server.hpp"

#include "rpcplugin/grpc/channel.hpp"
#include "rpcplugin/wire/certificate.hpp"
#include "rpcplugin/wire/handshake.hpp"
#include "support/run.hpp"
#include "support/temp_dir.hpp"

#include "grpc/health/v1/health.pb.h"

#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <fcntl.h>
#include <filesystem>
#include <future>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace asio = boost::asio;
namespace plugin = rpcplugin::plugin;
namespace rg = rpcplugin::grpc;
using namespace std::chrono_literals;

namespace
{
using env_map = std::map<std::string, std::string, std::less<>>;

plugin::env_lookup env_of(env_map vars)
{
    return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string>
    {
        if (auto it = vars.find(name); it != vars.end())
            return it->second;
        return std::nullopt;
    };
}

plugin::config kv_defaults()
{
    plugin::config c;
    c.magic_cookie_key = "RPCPLUGIN_TEST_PLUGIN";
    c.magic_cookie_value = "yes";
    c.capture_stdio = false; // the test binary's own stdout and stderr stay put
    return c;
}

// Descriptor 1 goes to a pipe while the object lives, so the handshake line can be read
// back instead of landing among doctest's output.
class stdout_to_pipe
{
public:
    stdout_to_pipe()
    {
        int p[2];
        REQUIRE(::pipe2(p, O_CLOEXEC) == 0);
        read_ = p[0];
        saved_ = ::dup(1);
        ::dup2(p[1], 1);
        ::close(p[1]);
    }
    ~stdout_to_pipe()
    {
        restore();
        ::close(read_);
    }
    void restore()
    {
        if (saved_ >= 0)
        {
            ::dup2(saved_, 1);
            ::close(saved_);
            saved_ = -1;
        }
    }
    // Everything written so far (call after restore()).
    std::string text()
    {
        std::string out;
        ::fcntl(read_, F_SETFL, O_NONBLOCK);
        char buf[4096];
        for (ssize_t n; (n = ::read(read_, buf, sizeof buf)) > 0;)
            out.append(buf, static_cast<std::size_t>(n));
        return out;
    }

private:
    int read_ = -1;
    int saved_ = -1;
};

// Runs `serve` on a thread of its own, as an embedding program would.
struct running_plugin
{
    asio::io_context io{1};
    plugin::server srv;
    int exit_code = -1;
    std::thread thread;

    running_plugin(plugin::config defaults, env_map env)
        : srv(io, std::move(defaults), env_of(std::move(env)))
    {
        asio::co_spawn(io, srv.serve(),
                       [this](std::exception_ptr e, int code)
                       {
                           exit_code = e ? 99 : code;
                           io.stop();
                       });
        thread = std::thread([this] { io.run(); });
    }
    int join()
    {
        if (thread.joinable())
            thread.join();
        return exit_code;
    }
    ~running_plugin()
    {
        srv.stop();
        join();
    }
};

// A host-side Health.Check("plugin") through our client channel.
std::optional<rg::status> host_check(const std::string& target,
                                     std::optional<rpcplugin::tls::client_config> tls)
{
    asio::io_context io;
    return rpcplugin::test::run(
        io,
        [](std::string t, std::optional<rpcplugin::tls::client_config> c)
            -> asio::awaitable<std::optional<rg::status>>
        {
            auto ex = co_await asio::this_coro::executor;
            rg::channel_options o;
            o.tls = std::move(c);
            o.connect_timeout = 5s;
            auto ch = co_await rg::channel::connect(ex, t, o);
            if (!ch)
                co_return std::nullopt;
            grpc::health::v1::HealthCheckRequest req;
            req.set_service("plugin");
            grpc::health::v1::HealthCheckResponse resp;
            std::string path = "/grpc.health.v1.Health/Check";
            rg::status s = co_await (*ch)->unary(std::move(path), req, resp);
            (*ch)->close();
            if (s.ok() && resp.status() != grpc::health::v1::HealthCheckResponse::SERVING)
                co_return rg::status(rg::status_code::unknown, "not SERVING");
            co_return s;
        }(target, std::move(tls)));
}

rpcplugin::wire::handshake_line parse_line(const std::string& text)
{
    rpcplugin::wire::host_expectations host;
    host.versions = {1};
    auto line = rpcplugin::wire::parse_handshake_line(text, host);
    REQUIRE_MESSAGE(line.has_value(), text);
    return *line;
}
} // namespace

TEST_SUITE("plugin")
{
    TEST_CASE("wait_for_server_ready times out when the plugin never serves")
    {
        asio::io_context io;
        plugin::server srv(io, kv_defaults(), env_of({}));
        const auto t0 = std::chrono::steady_clock::now();
        CHECK_FALSE(srv.wait_for_server_ready(50ms));
        CHECK(std::chrono::steady_clock::now() - t0 >= 50ms);
    }

    TEST_CASE("brokers() before serve is a clear error, not a null dereference")
    {
        asio::io_context io;
        plugin::server srv(io, kv_defaults(), env_of({}));
        CHECK_THROWS_WITH_AS(srv.brokers(), doctest::Contains("brokers() called before serve()"),
                             std::logic_error);
    }

    TEST_CASE("wait_for_server_ready is false at once when the start fails")
    {
        running_plugin p(kv_defaults(), {{"RPCPLUGIN_TEST_PLUGIN", "wrong"}});
        CHECK_FALSE(p.srv.wait_for_server_ready(20s));
        CHECK(p.join() == 1);
    }

    TEST_CASE("wait_for_server_ready checks health over the plaintext socket")
    {
        rpcplugin::test::temp_dir dir;
        stdout_to_pipe out;
        running_plugin p(kv_defaults(), {{"RPCPLUGIN_TEST_PLUGIN", "yes"},
                                         {"PLUGIN_UNIX_SOCKET_DIR", dir.path().string()},
                                         {"PLUGIN_LOG_LEVEL", "warn"}});
        const bool ready = p.srv.wait_for_server_ready(20s);
        out.restore();
        REQUIRE(ready);
        const auto line = parse_line(out.text());
        CHECK(line.network == "unix");
        CHECK(std::filesystem::path(line.address).parent_path() == dir.path());
        CHECK(line.server_cert_der.empty());
        CHECK(host_check("unix:" + line.address, std::nullopt).value().ok());
        CHECK(p.srv.wait_for_server_ready(0ms)); // remembered
        CHECK_NOTHROW((void)p.srv.brokers());    // made before the line was announced

        p.srv.stop();
        CHECK(p.join() == 0);
        CHECK_FALSE(p.srv.wait_for_server_ready(1s));
        CHECK_FALSE(std::filesystem::exists(line.address));
    }

    TEST_CASE("ready() is awaitable on the plugin's own io_context, where the blocking call "
              "cannot wait")
    {
        rpcplugin::test::temp_dir dir;
        stdout_to_pipe out;
        running_plugin p(kv_defaults(), {{"RPCPLUGIN_TEST_PLUGIN", "yes"},
                                         {"PLUGIN_UNIX_SOCKET_DIR", dir.path().string()},
                                         {"PLUGIN_LOG_LEVEL", "warn"}});
        // Both coroutines run on the thread that runs the server.
        std::promise<bool> blocking_on_io, awaited;
        asio::post(p.io, [&] { blocking_on_io.set_value(p.srv.wait_for_server_ready(1s)); });
        asio::co_spawn(p.io, p.srv.ready(20s),
                       [&](std::exception_ptr e, bool ok) { awaited.set_value(!e && ok); });
        CHECK_FALSE(blocking_on_io.get_future().get());
        const bool ready = awaited.get_future().get();
        out.restore();
        REQUIRE(ready);
        const auto line = parse_line(out.text());
        CHECK(host_check("unix:" + line.address, std::nullopt).value().ok());

        p.srv.stop();
        CHECK(p.join() == 0);
        asio::io_context other;
        CHECK_FALSE(rpcplugin::test::run(other, p.srv.ready(1s)));
    }

    TEST_CASE("ready() completes false at once when the start fails, and on timeout")
    {
        {
            asio::io_context io;
            plugin::server never(io, kv_defaults(), env_of({}));
            asio::io_context other;
            const auto t0 = std::chrono::steady_clock::now();
            CHECK_FALSE(rpcplugin::test::run(other, never.ready(50ms)));
            CHECK(std::chrono::steady_clock::now() - t0 >= 50ms);
        }
        running_plugin p(kv_defaults(), {{"RPCPLUGIN_TEST_PLUGIN", "wrong"}});
        asio::io_context other;
        CHECK_FALSE(rpcplugin::test::run(other, p.srv.ready(20s)));
        CHECK(p.join() == 1);
    }

    TEST_CASE("wait_for_server_ready passes AutoMTLS with the plugin's own certificate only")
    {
        rpcplugin::test::temp_dir dir;
        const auto host = rpcplugin::wire::generate_certificate().value();
        const auto stranger = rpcplugin::wire::generate_certificate().value();
        stdout_to_pipe out;
        running_plugin p(kv_defaults(), {{"RPCPLUGIN_TEST_PLUGIN", "yes"},
                                         {"PLUGIN_UNIX_SOCKET_DIR", dir.path().string()},
                                         {"PLUGIN_CLIENT_CERT", host.certificate_pem},
                                         {"PLUGIN_LOG_LEVEL", "error"}});
        const bool ready = p.srv.wait_for_server_ready(20s);
        out.restore();
        REQUIRE(ready);
        const auto line = parse_line(out.text());
        REQUIRE_FALSE(line.server_cert_der.empty());
        const std::string server_pem =
            rpcplugin::wire::certificate_der_to_pem(line.server_cert_der).value();

        auto as = [&](const rpcplugin::wire::generated_certificate* who)
        {
            rpcplugin::tls::client_config c;
            c.server_roots_pem = server_pem;
            c.server_name = "localhost";
            if (who)
            {
                c.certificate_chain_pem = who->certificate_pem;
                c.private_key_pem = who->private_key_pem;
            }
            return host_check("unix:" + line.address, c);
        };
        auto by_host = as(&host);
        REQUIRE(by_host);
        CHECK(by_host->ok());
        auto by_stranger = as(&stranger);
        CHECK_FALSE((by_stranger && by_stranger->ok()));
        auto anonymous = as(nullptr);
        CHECK_FALSE((anonymous && anonymous->ok()));
        auto plaintext = host_check("unix:" + line.address, std::nullopt);
        CHECK_FALSE((plaintext && plaintext->ok()));

        p.srv.stop();
        CHECK(p.join() == 0);
    }

    TEST_CASE("wait_for_server_ready accepts any gRPC answer when health is not served")
    {
        rpcplugin::test::temp_dir dir;
        stdout_to_pipe out;
        running_plugin p(kv_defaults(), {{"RPCPLUGIN_TEST_PLUGIN", "yes"},
                                         {"PLUGIN_UNIX_SOCKET_DIR", dir.path().string()},
                                         {"PLUGIN_HEALTH_SERVICE_ENABLED", "false"},
                                         {"PLUGIN_SERVER_TRANSPORTS", "tcp"},
                                         {"PLUGIN_LOG_LEVEL", "warn"}});
        const bool ready = p.srv.wait_for_server_ready(20s);
        out.restore();
        CHECK(ready);
        CHECK(parse_line(out.text()).network == "tcp");
        p.srv.stop();
        CHECK(p.join() == 0);
    }

    TEST_CASE("wait_for_server_ready refuses to block the io_context's own thread")
    {
        rpcplugin::test::temp_dir dir;
        stdout_to_pipe out;
        asio::io_context io{1};
        plugin::server srv(io, kv_defaults(),
                           env_of({{"RPCPLUGIN_TEST_PLUGIN", "yes"},
                                   {"PLUGIN_UNIX_SOCKET_DIR", dir.path().string()},
                                   {"PLUGIN_LOG_LEVEL", "warn"}}));
        std::optional<bool> inside;
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void>
            {
                // The serve coroutine announces first; this one runs once it is suspended.
                asio::steady_timer t(co_await asio::this_coro::executor, 100ms);
                co_await t.async_wait(asio::use_awaitable);
                inside = srv.wait_for_server_ready(5s);
                srv.stop();
            },
            asio::detached);
        int code = rpcplugin::test::run(io, srv.serve(), 20s);
        out.restore();
        CHECK(code == 0);
        REQUIRE(inside);
        CHECK_FALSE(*inside);
    }
}
