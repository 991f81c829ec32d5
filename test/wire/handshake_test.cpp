#include "rpcplugin/wire/handshake.hpp"

#include "rpcplugin/wire/certificate.hpp"

#include <doctest/doctest.h>

#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace wire = rpcplugin::wire;

namespace
{
wire::env_lookup env_of(std::map<std::string, std::string, std::less<>> vars)
{
    return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string>
    {
        if (auto it = vars.find(name); it != vars.end())
            return it->second;
        return std::nullopt;
    };
}

std::set<int> versions(std::string_view text)
{
    auto r = wire::parse_protocol_versions(text);
    REQUIRE_MESSAGE(r.has_value(), r.error());
    return *r;
}

wire::error bad_versions(std::string_view text)
{
    auto r = wire::parse_protocol_versions(text);
    REQUIRE(r.has_error());
    CHECK(r.error().variable == "PLUGIN_PROTOCOL_VERSIONS");
    return r.error();
}

wire::version_choice negotiated(const std::set<int>& served, const std::set<int>& offered)
{
    auto r = wire::negotiate_version(served, offered);
    REQUIRE_MESSAGE(r.has_value(), r.error());
    return *r;
}

std::string formatted(const wire::handshake_line& line)
{
    auto r = wire::format_handshake_line(line);
    REQUIRE_MESSAGE(r.has_value(), r.error());
    return *r;
}

std::string format_error(const wire::handshake_line& line)
{
    auto r = wire::format_handshake_line(line);
    REQUIRE(r.has_error());
    return r.error().message;
}

const wire::host_expectations terraform{{5, 6}, {"grpc"}, false};

wire::handshake_line parsed(std::string_view text, const wire::host_expectations& host = terraform)
{
    auto r = wire::parse_handshake_line(text, host);
    REQUIRE_MESSAGE(r.has_value(), r.error());
    return *r;
}

std::string parse_error(std::string_view text, const wire::host_expectations& host = terraform)
{
    auto r = wire::parse_handshake_line(text, host);
    REQUIRE(r.has_error());
    return r.error().message;
}

wire::handshake_line unix_line(int version = 6)
{
    wire::handshake_line line;
    line.app_version = version;
    line.network = "unix";
    line.address = "/tmp/plugin123";
    return line;
}

const std::string& test_certificate_der()
{
    static const std::string der = []
    {
        auto cert = wire::generate_certificate();
        REQUIRE(cert.has_value());
        return cert->certificate_der;
    }();
    return der;
}
} // namespace

TEST_SUITE("wire")
{
    TEST_CASE("check_cookie accepts the expected value")
    {
        CHECK(wire::check_cookie("TF_PLUGIN_MAGIC_COOKIE", "d602bf8f",
                                 env_of({{"TF_PLUGIN_MAGIC_COOKIE", "d602bf8f"}})) ==
              wire::cookie_status::ok);
        CHECK(wire::cookie_failure_message(wire::cookie_status::ok).empty());
    }

    TEST_CASE("check_cookie refuses a missing, empty or different cookie with go-plugin's text")
    {
        CHECK(wire::check_cookie("K", "v", env_of({})) == wire::cookie_status::mismatch);
        CHECK(wire::check_cookie("K", "v", env_of({{"K", ""}})) == wire::cookie_status::mismatch);
        CHECK(wire::check_cookie("K", "v", env_of({{"K", "V"}})) == wire::cookie_status::mismatch);
        CHECK(wire::check_cookie("K", "v", env_of({{"k", "v"}})) == wire::cookie_status::mismatch);
        CHECK(wire::cookie_failure_message(wire::cookie_status::mismatch) ==
              "This binary is a plugin. These are not meant to be executed directly.\n"
              "Please execute the program that consumes these plugins, which will\n"
              "load any plugins automatically\n");
    }

    TEST_CASE("check_cookie reports an empty cookie key or value as a misconfigured plugin")
    {
        CHECK(wire::check_cookie("", "v", env_of({{"", "v"}})) ==
              wire::cookie_status::misconfigured);
        CHECK(wire::check_cookie("K", "", env_of({{"K", ""}})) ==
              wire::cookie_status::misconfigured);
        CHECK(wire::cookie_failure_message(wire::cookie_status::misconfigured) ==
              "Misconfigured ServeConfig given to serve this plugin: no magic cookie\n"
              "key or value was set. Please notify the plugin author and report\n"
              "this as a bug.\n");
    }

    TEST_CASE("parse_protocol_versions reads an unordered comma-separated list")
    {
        CHECK(versions("5,6") == std::set<int>{5, 6});
        CHECK(versions("6,5") == std::set<int>{5, 6});
        CHECK(versions("6") == std::set<int>{6});
        CHECK(versions(" 5 , 6 ") == std::set<int>{5, 6});
        CHECK(versions("5,5,0") == std::set<int>{0, 5});
        CHECK(versions("2147483647") == std::set<int>{2147483647});
        CHECK(versions("").empty());
        CHECK(versions("  ").empty());
    }

    TEST_CASE("parse_protocol_versions refuses garbage, naming the variable")
    {
        CHECK(bad_versions("5,x").message ==
              R"("5,x": "x" is not a protocol version (a non-negative integer))");
        CHECK(bad_versions("5,,6").message ==
              R"("5,,6" has an empty entry (expected comma-separated versions such as "5,6"))");
        CHECK(bad_versions("5,").message.find("has an empty entry") != std::string::npos);
        CHECK(bad_versions(",5").message.find("has an empty entry") != std::string::npos);
        CHECK(bad_versions("-1").message ==
              R"("-1": "-1" is not a protocol version (a non-negative integer))");
        CHECK(bad_versions("+5").message.find("is not a protocol version") != std::string::npos);
        CHECK(bad_versions("5.0").message.find("is not a protocol version") != std::string::npos);
        CHECK(bad_versions("5 6").message.find("is not a protocol version") != std::string::npos);
        CHECK(bad_versions("5;6").message.find("is not a protocol version") != std::string::npos);
        CHECK(bad_versions("[5,6]").message.find("is not a protocol version") != std::string::npos);
        CHECK(bad_versions("2147483648").message == R"("2147483648": "2147483648" is too large)");
        CHECK(bad_versions("5,x").to_string().starts_with("PLUGIN_PROTOCOL_VERSIONS: "));
    }

    TEST_CASE("format_versions writes a set ascending")
    {
        CHECK(wire::format_versions({}) == "[]");
        CHECK(wire::format_versions({6}) == "[6]");
        CHECK(wire::format_versions({6, 5, 7}) == "[5, 6, 7]");
    }

    TEST_CASE("negotiate_version picks the highest common version")
    {
        CHECK(negotiated({5, 6}, {5, 6}).version == 6);
        CHECK(negotiated({5, 6}, {5, 6}).warning.empty());
        CHECK(negotiated({5, 6}, {5}).version == 5);
        CHECK(negotiated({5}, {5, 6}).version == 5);
        CHECK(negotiated({1, 3}, {2, 3, 4}).version == 3); // the case verified against go-plugin
        CHECK(negotiated({1, 3}, {2, 3, 4}).warning.empty());
    }

    TEST_CASE("negotiate_version falls back to the oldest served version with a warning")
    {
        const auto none = negotiated({5, 6}, {4, 7});
        CHECK(none.version == 5);
        CHECK(none.warning ==
              "no protocol version in common: the plugin serves [5, 6], the host offers [4, 7] "
              "(PLUGIN_PROTOCOL_VERSIONS); announcing the oldest served version 5, which the "
              "host will refuse");

        const auto legacy = negotiated({5, 6}, {});
        CHECK(legacy.version == 5);
        CHECK(legacy.warning ==
              "the host offered no protocol versions (PLUGIN_PROTOCOL_VERSIONS is not set); "
              "announcing the oldest served version 5 (served: [5, 6])");
    }

    TEST_CASE("negotiate_version needs at least one served version")
    {
        auto r = wire::negotiate_version({}, {5});
        REQUIRE(r.has_error());
        CHECK(r.error() ==
              wire::setting_error("protocol_versions", "the plugin serves no protocol version"));
    }

    TEST_CASE("format_handshake_line prints Go's plaintext line with an empty 6th field")
    {
        CHECK(formatted(unix_line()) == "1|6|unix|/tmp/plugin123|grpc|\n");
        wire::handshake_line tcp = unix_line(5);
        tcp.network = "tcp";
        tcp.address = "127.0.0.1:10000";
        CHECK(formatted(tcp) == "1|5|tcp|127.0.0.1:10000|grpc|\n");
    }

    TEST_CASE("format_handshake_line writes the certificate as unpadded base64 DER")
    {
        wire::handshake_line line = unix_line();
        line.server_cert_der = "abcd"; // base64 "YWJjZA=="
        CHECK(formatted(line) == "1|6|unix|/tmp/plugin123|grpc|YWJjZA\n");
        line.server_cert_der = "abcde"; // "YWJjZGU="
        CHECK(formatted(line) == "1|6|unix|/tmp/plugin123|grpc|YWJjZGU\n");
        line.server_cert_der = "abcdef";
        CHECK(formatted(line) == "1|6|unix|/tmp/plugin123|grpc|YWJjZGVm\n");
        line.server_cert_der = std::string("\xfb\xff", 2); // the + / alphabet
        CHECK(formatted(line) == "1|6|unix|/tmp/plugin123|grpc|+/8\n");
    }

    TEST_CASE("format_handshake_line adds the 7th field only when multiplex is set")
    {
        wire::handshake_line line = unix_line();
        line.multiplex = false;
        CHECK(formatted(line) == "1|6|unix|/tmp/plugin123|grpc||false\n");
        line.multiplex = true;
        line.server_cert_der = "abcd";
        CHECK(formatted(line) == "1|6|unix|/tmp/plugin123|grpc|YWJjZA|true\n");
    }

    TEST_CASE("format_handshake_line refuses fields the host would misread")
    {
        wire::handshake_line line = unix_line();
        line.network = "udp";
        CHECK(format_error(line) == R"(network must be "unix" or "tcp", not "udp")");
        line = unix_line();
        line.address = "";
        CHECK(format_error(line) == "empty address");
        line.address = "/tmp/a|b";
        CHECK(format_error(line) ==
              R"(address "/tmp/a|b" contains '|' or a line break, which the host cannot parse)");
        line.address = "/tmp/a\nb";
        CHECK(format_error(line).find("line break") != std::string::npos);
        line.address = "/tmp/a\rb";
        CHECK(format_error(line).find("line break") != std::string::npos);
        line = unix_line();
        line.protocol = "";
        CHECK(format_error(line) == R"(protocol "" is empty or contains '|' or a line break)");
        line.protocol = "grpc|x";
        CHECK(format_error(line).find("protocol") == 0);
        line = unix_line(-1);
        CHECK(format_error(line) == "protocol versions must not be negative");
        line = unix_line();
        line.core_version = -1;
        CHECK(format_error(line) == "protocol versions must not be negative");
    }

    TEST_CASE("format_handshake_line result throws on value() when it failed")
    {
        wire::handshake_line line = unix_line();
        line.network = "x";
        CHECK_THROWS_AS(wire::format_handshake_line(line).value(), std::runtime_error);
    }

    TEST_CASE("parse_handshake_line reads a plaintext line")
    {
        const auto line = parsed("1|6|unix|/tmp/plugin123|grpc|\n");
        CHECK(line == unix_line());
        CHECK(parsed("1|5|tcp|127.0.0.1:10000|grpc|").address == "127.0.0.1:10000");
        CHECK(parsed("1|5|tcp|[::1]:10000|grpc").network == "tcp");
        CHECK(parsed("1|6|unix|/p|grpc").server_cert_der.empty());
    }

    TEST_CASE("parse_handshake_line trims like Go and reads only the first line")
    {
        CHECK(parsed("  1|6|unix|/tmp/plugin123|grpc|\r\n") == unix_line());
        CHECK(parsed("1|6|unix|/tmp/plugin123|grpc|\nsecond line") == unix_line());
        CHECK(parsed("+1|+6|unix|/tmp/plugin123|grpc|") == unix_line()); // Go's Atoi takes a sign
    }

    TEST_CASE("parse_handshake_line round-trips a line with a real certificate")
    {
        wire::handshake_line line = unix_line(5);
        line.server_cert_der = test_certificate_der();
        const std::string text = formatted(line);
        CHECK(text.find('=') == std::string::npos);
        CHECK(parsed(text) == line);
    }

    TEST_CASE("parse_handshake_line ignores a 6th field of 50 characters or less, as Go does")
    {
        CHECK(parsed("1|6|unix|/p|grpc|short").server_cert_der.empty());
        CHECK(parsed("1|6|unix|/p|grpc|" + std::string(50, '!')).server_cert_der.empty());
    }

    TEST_CASE("parse_handshake_line gives go-plugin's errors for a malformed line")
    {
        CHECK(parse_error("") == "Unrecognized remote plugin message: ");
        CHECK(parse_error("hello world") == "Unrecognized remote plugin message: hello world");
        CHECK(parse_error("1|6|unix") == "Unrecognized remote plugin message: 1|6|unix");
        CHECK(parse_error("x|6|unix|/p|grpc|") ==
              R"(error parsing core protocol version: strconv.Atoi: parsing "x": invalid syntax)");
        CHECK(parse_error("|6|unix|/p|grpc|") ==
              R"(error parsing core protocol version: strconv.Atoi: parsing "": invalid syntax)");
        CHECK(parse_error("99999999999999999999|6|unix|/p|grpc|") ==
              "error parsing core protocol version: strconv.Atoi: parsing "
              "\"99999999999999999999\": value out of range");
        CHECK(parse_error("2|6|unix|/p|grpc|") ==
              "incompatible core API version with plugin. Plugin version: 2, Core version: 1\n\n"
              "To fix this, the plugin usually only needs to be recompiled.\n"
              "Please report this to the plugin author");
    }

    TEST_CASE("parse_handshake_line checks the app version against the host's versions")
    {
        CHECK(parse_error("1|x|unix|/p|grpc|") ==
              R"(Error parsing protocol version "x": strconv.Atoi: parsing "x": invalid syntax)");
        CHECK(parse_error("1|7|unix|/p|grpc|") ==
              "incompatible API version with plugin. Plugin version: 7, Client versions: [5 6]");
        CHECK(parse_error("1|-5|unix|/p|grpc|") ==
              "incompatible API version with plugin. Plugin version: -5, Client versions: [5 6]");
        CHECK(parse_error("1|9999999999|unix|/p|grpc|") ==
              "incompatible API version with plugin. Plugin version: 9999999999, Client "
              "versions: [5 6]");
        CHECK(parse_error("1|5|unix|/p|grpc|", {{}, {"grpc"}, false}) ==
              "incompatible API version with plugin. Plugin version: 5, Client versions: []");
    }

    TEST_CASE("parse_handshake_line checks the network and address")
    {
        CHECK(parse_error("1|6|udp|/p|grpc|") == "unknown address type: udp");
        CHECK(parse_error("1|6|unix||grpc|") == "empty unix socket path");
        CHECK(parse_error("1|6|tcp|127.0.0.1|grpc|") ==
              "address 127.0.0.1: missing port in address");
        CHECK(parse_error("1|6|tcp|::1:80|grpc|") == "address ::1:80: too many colons in address");
        CHECK(parse_error("1|6|tcp|127.0.0.1:99999|grpc|") ==
              R"(address 127.0.0.1:99999: invalid port "99999")");
        CHECK(parse_error("1|6|tcp|127.0.0.1:|grpc|") == R"(address 127.0.0.1:: invalid port "")");
        CHECK(parse_error("1|6|tcp|127.0.0.1:http|grpc|") ==
              R"(address 127.0.0.1:http: invalid port "http")");
    }

    TEST_CASE("parse_handshake_line checks the protocol against the allowed ones")
    {
        CHECK(parse_error("1|6|unix|/p") ==
              R"(unsupported plugin protocol "netrpc". Supported: [grpc])");
        CHECK(parse_error("1|6|unix|/p|netrpc|") ==
              R"(unsupported plugin protocol "netrpc". Supported: [grpc])");
        CHECK(parse_error("1|6|unix|/p|grpc|", {{6}, {"netrpc"}, false}) ==
              R"(unsupported plugin protocol "grpc". Supported: [netrpc])");
        CHECK(parse_error("1|6|unix|/p|grpc|", {{6}, {"netrpc", "x"}, false}) ==
              R"(unsupported plugin protocol "grpc". Supported: [netrpc x])");
        CHECK(parsed("1|6|unix|/p", {{6}, {"netrpc"}, false}).protocol == "netrpc");
    }

    TEST_CASE("parse_handshake_line refuses a bad certificate field like go-plugin")
    {
        const std::string prefix = "1|6|unix|/p|grpc|";
        CHECK(parse_error(prefix + std::string(52, 'A') + "==") ==
              "error parsing server cert: illegal base64 data at input byte 52");
        CHECK(parse_error(prefix + std::string(30, 'A') + "-" + std::string(30, 'A')) ==
              "error parsing server cert: illegal base64 data at input byte 30");
        CHECK(parse_error(prefix + std::string(53, 'A')) ==
              "error parsing server cert: illegal base64 data at input byte 52");
        CHECK(parse_error(prefix + std::string(52, 'A'))
                  .starts_with("error parsing server cert: malformed DER certificate"));

        // A padded certificate (what a careless plugin prints) fails whenever padding is needed.
        std::string der = test_certificate_der();
        while (der.size() % 3 == 0)
            der += '\0'; // only the length matters for the padding check
        std::string padded = wire::base64_der_nopad(der);
        while (padded.size() % 4 != 0)
            padded += '=';
        CHECK(parse_error(prefix + padded) ==
              "error parsing server cert: illegal base64 data at input byte " +
                  std::to_string(padded.find('=')));

        std::string trailing = test_certificate_der() + "xyz";
        CHECK(parse_error(prefix + wire::base64_der_nopad(trailing)) ==
              "error parsing server cert: trailing bytes after the DER certificate");
    }

    TEST_CASE("parse_handshake_line enforces multiplexing only when the host asked for it")
    {
        const wire::host_expectations mux{{6}, {"grpc"}, true};
        CHECK(parse_error("1|6|unix|/p|grpc|", mux) ==
              "client requested gRPC broker multiplexing but plugin does not support the "
              "feature; for Go plugins, you will need to update the "
              "github.com/hashicorp/go-plugin dependency and recompile");
        CHECK(parse_error("1|6|unix|/p|grpc||false", mux) ==
              "client requested gRPC broker multiplexing but plugin does not support the feature");
        CHECK(parse_error("1|6|unix|/p|grpc||maybe", mux) ==
              R"(error parsing "maybe" as a boolean for gRPC broker multiplexing support)");
        CHECK(parse_error("1|6|unix|/p|grpc||", mux) ==
              R"(error parsing "" as a boolean for gRPC broker multiplexing support)");
        CHECK(parsed("1|6|unix|/p|grpc||true", mux).multiplex == true);
        CHECK(parsed("1|6|unix|/p|grpc||T", mux).multiplex == true);
        CHECK(parsed("1|6|unix|/p|grpc||1", mux).multiplex == true);
        CHECK(parsed("1|6|unix|/p|grpc||True|extra", mux).multiplex == true);

        // netrpc plugins are not asked (Go checks the protocol too).
        CHECK(parsed("1|6|unix|/p|netrpc|", {{6}, {"netrpc"}, true}).multiplex == std::nullopt);

        // Without the request the field is recorded when it parses, ignored otherwise.
        CHECK(parsed("1|6|unix|/p|grpc||false").multiplex == false);
        CHECK(parsed("1|6|unix|/p|grpc||junk").multiplex == std::nullopt);
        CHECK(parsed("1|6|unix|/p|grpc|").multiplex == std::nullopt);
    }

    TEST_CASE("errors and handshake_line print readably")
    {
        std::ostringstream os;
        os << wire::make_error(wire::errc::unrecognized_handshake, "boom") << ' ' << unix_line();
        CHECK(os.str() ==
              "boom {core 1, app 6, unix /tmp/plugin123, grpc, cert 0 bytes, multiplex absent}");
    }
}
