#include "rpcplugin/host/handshake.hpp"

#include "rpcplugin/wire/certificate.hpp"

#include <doctest/doctest.h>

#include <string>

namespace host = rpcplugin::host;
namespace wire = rpcplugin::wire;
using host::errc;

namespace
{
wire::host_expectations offers(std::set<int> versions)
{
    wire::host_expectations e;
    e.versions = std::move(versions);
    return e;
}

host::failure refused(std::string_view line, bool mtls = false)
{
    auto r = host::check_handshake_line(line, offers({5, 6}), mtls);
    REQUIRE_MESSAGE(r.has_error(), line);
    return r.error();
}

std::string cert_field()
{
    auto gen = wire::generate_certificate();
    REQUIRE(gen.has_value());
    return wire::base64_der_nopad(gen->certificate_der);
}
} // namespace

TEST_SUITE("host")
{
    TEST_CASE("check_handshake_line accepts go-plugin's lines")
    {
        auto plain =
            host::check_handshake_line("1|6|unix|/tmp/plugin1|grpc|\n", offers({5, 6}), false);
        REQUIRE(plain.has_value());
        CHECK(plain->app_version == 6);
        CHECK(plain->network == "unix");
        CHECK(plain->address == "/tmp/plugin1");
        CHECK(plain->server_cert_der.empty());

        const std::string field = cert_field();
        auto tls = host::check_handshake_line("1|5|tcp|127.0.0.1:10000|grpc|" + field + "\r\n",
                                              offers({5, 6}), true);
        REQUIRE_MESSAGE(tls.has_value(), tls.error().message);
        CHECK(tls->network == "tcp");
        CHECK(!tls->server_cert_der.empty());
    }

    TEST_CASE("each refusal has its errc and go-plugin's message")
    {
        auto f = refused("Hello! I am not a plugin.");
        CHECK(f.code == errc::unrecognized_handshake);
        CHECK(f.message == "Unrecognized remote plugin message: Hello! I am not a plugin.");

        f = refused("2|6|unix|/tmp/p|grpc|");
        CHECK(f.code == errc::core_version_mismatch);
        CHECK(f.message.starts_with(
            "incompatible core API version with plugin. Plugin version: 2, Core version: 1"));
        CHECK(refused("x|6|unix|/tmp/p|grpc|").code == errc::core_version_mismatch);

        f = refused("1|7|unix|/tmp/p|grpc|");
        CHECK(f.code == errc::app_version_mismatch);
        CHECK(f.message ==
              "incompatible API version with plugin. Plugin version: 7, Client versions: [5 6]");
        CHECK(refused("1|seven|unix|/tmp/p|grpc|").code == errc::app_version_mismatch);

        f = refused("1|6|udp|/tmp/p|grpc|");
        CHECK(f.code == errc::bad_address);
        CHECK(f.message == "unknown address type: udp");
        CHECK(refused("1|6|tcp|localhost|grpc|").code == errc::bad_address);
        CHECK(refused("1|6|unix||grpc|").code == errc::bad_address);

        f = refused("1|6|unix|/tmp/p|netrpc|");
        CHECK(f.code == errc::unsupported_protocol);
        CHECK(f.message == R"(unsupported plugin protocol "netrpc". Supported: [grpc])");
        CHECK(refused("1|6|unix|/tmp/p").code ==
              errc::unsupported_protocol); // field 5 missing: netrpc

        f = refused(
            "1|6|unix|/tmp/"
            "p|grpc|VGhpcyBpcyBub3QgYSBjZXJ0aWZpY2F0ZSwganVzdCBzb21lIHRleHQgaW4gYmFzZTY0Lg");
        CHECK(f.code == errc::bad_server_certificate);
        CHECK(f.message.starts_with("error parsing server cert: "));
        f = refused("1|6|unix|/tmp/p|grpc|" + cert_field() + "=");
        CHECK(f.code == errc::bad_server_certificate);
        CHECK(
            f.message.starts_with("error parsing server cert: illegal base64 data at input byte"));
    }

    TEST_CASE("AutoMTLS needs the plugin's certificate")
    {
        auto f = refused("1|6|unix|/tmp/p|grpc|", true);
        CHECK(f.code == errc::missing_server_certificate);
        // go-plugin ignores 50 characters or fewer in field 6.
        CHECK(refused("1|6|unix|/tmp/p|grpc|c2hvcnQ", true).code ==
              errc::missing_server_certificate);
    }

    TEST_CASE("multiplexing refusals are classified")
    {
        auto e = offers({6});
        e.multiplex_requested = true;
        auto r = host::check_handshake_line("1|6|unix|/tmp/p|grpc|", e, false);
        REQUIRE(r.has_error());
        CHECK(r.error().code == errc::multiplex_unsupported);
        r = host::check_handshake_line("1|6|unix|/tmp/p|grpc||maybe", e, false);
        REQUIRE(r.has_error());
        CHECK(r.error().code == errc::multiplex_unsupported);
        r = host::check_handshake_line("1|6|unix|/tmp/p|grpc||false", e, false);
        REQUIRE(r.has_error());
        CHECK(r.error().code == errc::multiplex_unsupported);
    }

    TEST_CASE("host errors have names and a category")
    {
        boost::system::error_code ec = errc::plugin_exited;
        CHECK(std::string(ec.category().name()) == "rpcplugin.wire");
        CHECK(ec.message() == "plugin exited before we could connect");
        CHECK(host::to_string(errc::start_timeout) == "start_timeout");
        for (int v = 1; v <= static_cast<int>(errc::bad_handshake_line); ++v)
            CHECK(host::to_string(static_cast<errc>(v)) != "unknown");
    }
}
