#include "plugin/detail/self_check.hpp"

#include "rpcplugin/grpc/server.hpp"
#include "rpcplugin/health/service.hpp"
#include "rpcplugin/wire/certificate.hpp"
#include "rpcplugin/transport/listener.hpp"
#include "support/run.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <memory>
#include <string>

namespace asio = boost::asio;
namespace plugin = rpcplugin::plugin;
namespace rg = rpcplugin::grpc;
using namespace std::chrono_literals;

namespace
{
const rpcplugin::wire::generated_certificate& own()
{
    static const auto c = rpcplugin::wire::generate_certificate().value();
    return c;
}
const rpcplugin::wire::generated_certificate& host()
{
    static const auto c = rpcplugin::wire::generate_certificate().value();
    return c;
}
const rpcplugin::wire::generated_certificate& stranger()
{
    static const auto c = rpcplugin::wire::generate_certificate().value();
    return c;
}

std::shared_ptr<asio::ssl::context> server_tls(bool accept_own)
{
    rpcplugin::tls::server_config c;
    c.certificate_chain_pem = own().certificate_pem;
    c.private_key_pem = own().private_key_pem;
    c.client_roots_pem = host().certificate_pem;
    auto ctx = rpcplugin::tls::make_server_context(c).value();
    if (accept_own)
        plugin::detail::accept_own_certificate(*ctx);
    return ctx;
}

plugin::detail::self_check_target as(const rpcplugin::wire::generated_certificate& who,
                                     const std::string& target, bool health = true)
{
    plugin::detail::self_check_target t;
    t.target = target;
    t.health_enabled = health;
    rpcplugin::tls::client_config c;
    c.server_roots_pem = own().certificate_pem;
    c.server_name = "localhost";
    c.certificate_chain_pem = who.certificate_pem;
    c.private_key_pem = who.private_key_pem;
    t.tls = c;
    return t;
}

// Serves health ("plugin" SERVING) or nothing on a fresh Unix socket with `tls`, runs
// `check` against it, and returns its result.
bool probe(std::shared_ptr<asio::ssl::context> tls, bool with_health,
           plugin::detail::self_check_target (*make)(const std::string& target))
{
    rpcplugin::test::temp_dir dir;
    asio::io_context io;
    rg::server srv;
    rpcplugin::health::service health;
    if (with_health)
    {
        health.set_status("plugin", rpcplugin::health::serving_status::serving);
        health.add_to(srv);
    }
    const std::string path = (dir.path() / "s.sock").string();
    auto l = rpcplugin::transport::listener::bind(io.get_executor(),
                                                  rpcplugin::transport::unix_endpoint(path))
                 .value();
    asio::co_spawn(io, srv.serve(l, tls), asio::detached);
    bool ok = rpcplugin::test::run(io, plugin::detail::check_serving(make("unix:" + path), 5s));
    rpcplugin::test::run(io, srv.drain(0ms));
    return ok;
}
} // namespace

TEST_SUITE("plugin")
{
    TEST_CASE("accept_own_certificate lets in exactly the server's own certificate")
    {
        auto with_own = [](const std::string& t) { return as(own(), t); };
        auto with_host = [](const std::string& t) { return as(host(), t); };
        auto with_stranger = [](const std::string& t) { return as(stranger(), t); };
        CHECK(probe(server_tls(true), true, with_own));
        CHECK(probe(server_tls(true), true, with_host));
        CHECK_FALSE(probe(server_tls(true), true, with_stranger));
        // Without it, the plugin's own certificate is just another unknown one.
        CHECK_FALSE(probe(server_tls(false), true, with_own));
        CHECK(probe(server_tls(false), true, with_host));
    }

    TEST_CASE("check_serving wants SERVING, or any gRPC answer without health")
    {
        auto plaintext = [](const std::string& t)
        {
            plugin::detail::self_check_target c;
            c.target = t;
            return c;
        };
        auto plaintext_no_health = [](const std::string& t)
        {
            plugin::detail::self_check_target c;
            c.target = t;
            c.health_enabled = false;
            return c;
        };
        CHECK(probe(nullptr, true, plaintext));
        CHECK_FALSE(probe(nullptr, false, plaintext));
        CHECK(probe(nullptr, false, plaintext_no_health));
        // TLS wanted but the server speaks plaintext: no answer.
        auto tls_client = [](const std::string& t) { return as(own(), t); };
        CHECK_FALSE(probe(nullptr, true, tls_client));
    }

    TEST_CASE("check_serving fails on a missing socket")
    {
        asio::io_context io;
        plugin::detail::self_check_target t;
        t.target = "unix:/nonexistent/rpcplugin-self-check.sock";
        CHECK_FALSE(rpcplugin::test::run(io, plugin::detail::check_serving(t, 1s)));
    }
}
