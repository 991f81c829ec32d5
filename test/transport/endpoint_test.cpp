#include "rpcplugin/transport/endpoint.hpp"

#include "rpcplugin/transport/error.hpp"

#include <doctest/doctest.h>

#include <sstream>
#include <string>
#include <string_view>

namespace transport = rpcplugin::transport;
using transport::endpoint;
using transport::parse_endpoint;

TEST_SUITE("transport")
{
    TEST_CASE("parse_endpoint reads unix:PATH")
    {
        auto ep = parse_endpoint("unix:/tmp/plugin.sock");
        REQUIRE(ep.has_value());
        CHECK(ep->family == endpoint::kind::local);
        CHECK(ep->path == "/tmp/plugin.sock");
        CHECK(ep->host.empty());
        CHECK(*ep == transport::unix_endpoint("/tmp/plugin.sock"));

        auto rel = parse_endpoint("unix:relative.sock");
        REQUIRE(rel.has_value());
        CHECK(rel->path == "relative.sock");

        auto colon = parse_endpoint("unix:/tmp/a:b");
        REQUIRE(colon.has_value());
        CHECK(colon->path == "/tmp/a:b");
    }

    TEST_CASE("parse_endpoint reads unix://PATH as unix:PATH")
    {
        auto ep = parse_endpoint("unix:///tmp/plugin.sock");
        REQUIRE(ep.has_value());
        CHECK(ep->family == endpoint::kind::local);
        CHECK(ep->path == "/tmp/plugin.sock");
        CHECK(*ep == *parse_endpoint("unix:/tmp/plugin.sock"));
    }

    TEST_CASE("parse_endpoint reads HOST:PORT and [IPV6]:PORT")
    {
        auto v4 = parse_endpoint("127.0.0.1:50051");
        REQUIRE(v4.has_value());
        CHECK(v4->family == endpoint::kind::tcp);
        CHECK(v4->host == "127.0.0.1");
        CHECK(v4->port == 50051);
        CHECK(v4->path.empty());

        auto name = parse_endpoint("localhost:0");
        REQUIRE(name.has_value());
        CHECK(name->host == "localhost");
        CHECK(name->port == 0);

        auto max = parse_endpoint("example.com:65535");
        REQUIRE(max.has_value());
        CHECK(max->port == 65535);

        auto v6 = parse_endpoint("[::1]:8443");
        REQUIRE(v6.has_value());
        CHECK(v6->family == endpoint::kind::tcp);
        CHECK(v6->host == "::1");
        CHECK(v6->port == 8443);

        auto scoped = parse_endpoint("[fe80::1%eth0]:1");
        REQUIRE(scoped.has_value());
        CHECK(scoped->host == "fe80::1%eth0");
    }

    TEST_CASE("endpoint to_string round trips through parse_endpoint")
    {
        for (std::string_view text :
             {"unix:/tmp/plugin.sock", "unix:relative.sock", "unix:/tmp/a:b", "127.0.0.1:50051",
              "localhost:0", "example.com:65535", "[::1]:8443", "[2001:db8::42]:1"})
        {
            CAPTURE(text);
            auto ep = parse_endpoint(text);
            REQUIRE(ep.has_value());
            CHECK(ep->to_string() == text);
            auto again = parse_endpoint(ep->to_string());
            REQUIRE(again.has_value());
            CHECK(*again == *ep);
        }
        // unix:// is accepted but printed in the short form.
        CHECK(parse_endpoint("unix:///tmp/x")->to_string() == "unix:/tmp/x");
    }

    TEST_CASE("endpoint to_string brackets IPv6 hosts and operator<< prints it")
    {
        CHECK(transport::tcp_endpoint("::1", 80).to_string() == "[::1]:80");
        CHECK(transport::tcp_endpoint("10.0.0.1", 443).to_string() == "10.0.0.1:443");
        CHECK(transport::unix_endpoint("/run/x.sock").to_string() == "unix:/run/x.sock");
        std::ostringstream os;
        os << transport::tcp_endpoint("::1", 80) << ' ' << transport::unix_endpoint("/a");
        CHECK(os.str() == "[::1]:80 unix:/a");
    }

    TEST_CASE("endpoints built in code round trip, whatever the path looks like")
    {
        for (const endpoint& ep :
             {transport::unix_endpoint("/tmp/plugin.sock"), transport::unix_endpoint("rel"),
              transport::unix_endpoint("//tmp/double-slash.sock"),
              transport::unix_endpoint("///three"), transport::tcp_endpoint("::1", 1),
              transport::tcp_endpoint("host", 65535)})
        {
            CAPTURE(ep);
            auto parsed = parse_endpoint(ep.to_string());
            REQUIRE(parsed.has_value());
            CHECK(*parsed == ep);
        }
    }

    TEST_CASE("parse_endpoint refuses malformed text with bad_endpoint")
    {
        for (std::string_view text : {
                 "",             // empty
                 "unix:",        // empty path
                 "unix://",      // empty path
                 "localhost",    // no port
                 "localhost:",   // empty port
                 ":8080",        // empty host
                 "host:65536",   // port out of range
                 "host:99999",   // port out of range
                 "host:123456",  // too many digits
                 "host:0065536", // too many digits, even with zeros
                 "a:b:c",        // two colons, not bracketed
                 "::1:80",       // IPv6 without brackets
                 "host:8o",      // bad character in the port
                 "host:-1",      // sign
                 "host:+80",     // sign
                 "host: 80",     // space
                 "host:80 ",     // trailing space
                 "host:0x50",    // hex
                 "[::1]",        // no port
                 "[::1]:",       // empty port
                 "[::1]80",      // missing colon
                 "[::1",         // unclosed bracket
                 "[]:80",        // empty host
                 "[::1]:http",   // named port
             })
        {
            CAPTURE(text);
            auto ep = parse_endpoint(text);
            REQUIRE(ep.has_error());
            CHECK(ep.error() == transport::errc::bad_endpoint);
            CHECK(ep.error().category().name() == std::string_view("rpcplugin.transport"));
        }
    }

    TEST_CASE("parse_endpoint refuses a host with characters no host name or address has")
    {
        for (std::string_view text : {
                 "a b:80",           // space
                 "ho\tst:80",        // control character
                 "host/path:80",     // a URL, not a host
                 "user@host:80",     // userinfo
                 "a]:80",            // stray bracket
                 "x[y:80",           // stray bracket
                 "[a b]:80",         // space inside brackets
                 "[example.com]:80", // brackets hold IPv6 literals only
             })
        {
            CAPTURE(text);
            auto ep = parse_endpoint(text);
            CHECK((ep.has_error() && ep.error() == transport::errc::bad_endpoint));
        }
    }
}
