#include "rpcplugin/transport/stream.hpp"

#include "rpcplugin/tls/context.hpp"
#include "rpcplugin/transport/listener.hpp"
#include "support/run.hpp"
#include "support/temp_dir.hpp"
#include "support/test_pki.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/local/connect_pair.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <doctest/doctest.h>
#include <openssl/ssl.h>

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

namespace asio = boost::asio;
namespace tls = rpcplugin::tls;
namespace transport = rpcplugin::transport;
using boost::system::error_code;
using rpcplugin::use_tuple;
using rpcplugin::test::temp_dir;
using unix_protocol = asio::local::stream_protocol;

namespace
{
/** Writes `text` on `from`, reads as many bytes on `to` and returns them. */
template <class From, class To>
asio::awaitable<std::string> pass(From& from, To& to, std::string_view text)
{
    auto [wec, wn] = co_await asio::async_write(from, asio::buffer(text), use_tuple);
    REQUIRE_FALSE(wec);
    std::string got(text.size(), '\0');
    auto [rec, rn] = co_await asio::async_read(to, asio::buffer(got), use_tuple);
    REQUIRE_FALSE(rec);
    got.resize(rn);
    co_return got;
}

/** A connected TCP pair through a listener on 127.0.0.1 port 0: {client, accepted}. */
std::pair<asio::ip::tcp::socket, transport::tcp_socket> tcp_pair(asio::io_context& io)
{
    auto l = transport::listener::bind(io.get_executor(), transport::tcp_endpoint("127.0.0.1", 0));
    REQUIRE(l.has_value());
    asio::ip::tcp::socket client(io);
    client.connect({asio::ip::make_address("127.0.0.1"), l->local_endpoint().port});
    auto [ec, s] = rpcplugin::test::run(io, l->accept(io.get_executor()));
    REQUIRE_FALSE(ec);
    return {std::move(client), std::move(std::get<transport::tcp_socket>(s))};
}

struct tls_contexts
{
    rpcplugin::test::test_pki pki = rpcplugin::test::make_test_pki();
    std::shared_ptr<asio::ssl::context> server;
    std::shared_ptr<asio::ssl::context> client;

    explicit tls_contexts(bool client_auth = false, bool client_cert = false)
    {
        tls::server_config sc;
        sc.certificate_chain_pem = pki.server.certificate_pem;
        sc.private_key_pem = pki.server.private_key_pem;
        if (client_auth)
            sc.client_roots_pem = pki.ca.certificate_pem;
        auto s = tls::make_server_context(sc);
        REQUIRE(s.has_value());
        server = *s;

        tls::client_config cc;
        cc.server_roots_pem = pki.ca.certificate_pem;
        if (client_cert)
        {
            cc.certificate_chain_pem = pki.client.certificate_pem;
            cc.private_key_pem = pki.client.private_key_pem;
        }
        auto c = tls::make_client_context(cc);
        REQUIRE(c.has_value());
        client = *c;
    }
};

/** Runs both handshakes concurrently; returns {server error, client error}. */
template <class ServerTls, class ClientTls>
std::pair<error_code, error_code> handshake(asio::io_context& io, ServerTls& server,
                                            ClientTls& client)
{
    using namespace asio::experimental::awaitable_operators;
    auto [s, c] = rpcplugin::test::run(
        io,
        [&]() -> asio::awaitable<std::tuple<std::tuple<error_code>, std::tuple<error_code>>>
        {
            co_return co_await (server.async_handshake(asio::ssl::stream_base::server, use_tuple) &&
                                client.async_handshake(asio::ssl::stream_base::client, use_tuple));
        }());
    return {std::get<0>(s), std::get<0>(c)};
}

void set_client_alpn(asio::ssl::context& ctx, std::string_view wire)
{
    REQUIRE(SSL_CTX_set_alpn_protos(ctx.native_handle(),
                                    reinterpret_cast<const unsigned char*>(wire.data()),
                                    static_cast<unsigned>(wire.size())) == 0);
}
} // namespace

TEST_SUITE("transport")
{
    TEST_CASE("stream carries bytes both ways over an accepted Unix socket")
    {
        temp_dir dir;
        asio::io_context io;
        auto l = transport::listener::bind(io.get_executor(),
                                           transport::unix_endpoint(dir.file("s.sock")));
        REQUIRE(l.has_value());
        unix_protocol::socket client(io);
        client.connect(unix_protocol::endpoint(l->local_endpoint().path));
        auto [ec, accepted] = rpcplugin::test::run(io, l->accept(io.get_executor()));
        REQUIRE_FALSE(ec);

        transport::stream s(std::move(accepted));
        CHECK_FALSE(s.is_tls());
        CHECK(s.is_unix());
        CHECK(s.native_tls_handle() == nullptr);
        CHECK(s.get_executor() == io.get_executor());
        CHECK(s.remote_address() == "unix:"); // an unbound client socket has no name

        CHECK(rpcplugin::test::run(io, pass(client, s, "hello from the client")) ==
              "hello from the client");
        std::string big(200000, 'z'); // more than one read_some
        big[12345] = 'a';
        CHECK(rpcplugin::test::run(io, pass(s, client, big)) == big);
    }

    TEST_CASE("stream remote_address names a bound Unix client, a TCP peer, and a closed stream")
    {
        temp_dir dir;
        asio::io_context io;
        SUBCASE("unix client bound to a path")
        {
            unix_protocol::acceptor bound(io, unix_protocol::endpoint(dir.file("server.sock")));
            unix_protocol::socket client(io);
            client.open();
            client.bind(unix_protocol::endpoint(dir.file("client.sock")));
            client.connect(bound.local_endpoint());
            transport::stream s(transport::socket(bound.accept()));
            CHECK(s.remote_address() == "unix:" + dir.file("client.sock"));
        }
        SUBCASE("tcp")
        {
            auto [client, accepted] = tcp_pair(io);
            transport::stream s(transport::socket(std::move(accepted)));
            CHECK_FALSE(s.is_unix());
            CHECK_FALSE(s.is_tls());
            CHECK(s.remote_address() ==
                  "127.0.0.1:" + std::to_string(client.local_endpoint().port()));
        }
        SUBCASE("closed")
        {
            auto [client, accepted] = tcp_pair(io);
            transport::stream s(transport::socket(std::move(accepted)));
            s.close();
            CHECK(s.remote_address() == "unknown");
            // The peer sees the end of the stream.
            std::array<char, 1> buf{};
            error_code ec;
            client.read_some(asio::buffer(buf), ec);
            CHECK(ec == asio::error::eof);
        }
    }

    TEST_CASE("stream survives being moved")
    {
        asio::io_context io;
        unix_protocol::socket a(io);
        unix_protocol::socket b(io);
        asio::local::connect_pair(a, b);
        transport::stream first(transport::socket(std::move(b)));
        transport::stream second(std::move(first));
        transport::stream third{transport::socket{unix_protocol::socket(io)}};
        third = std::move(second);
        CHECK(third.is_unix());
        CHECK(rpcplugin::test::run(io, pass(a, third, "moved")) == "moved");
    }

    TEST_CASE("stream over TLS on TCP negotiates h2 and carries bytes")
    {
        asio::io_context io;
        tls_contexts ctx;
        auto [client_sock, accepted] = tcp_pair(io);
        transport::stream::tls_tcp server(std::move(accepted), *ctx.server);
        asio::ssl::stream<asio::ip::tcp::socket> client(std::move(client_sock), *ctx.client);
        auto [sec, cec] = handshake(io, server, client);
        REQUIRE_FALSE(sec);
        REQUIRE_FALSE(cec);

        transport::stream s(std::move(server));
        CHECK(s.is_tls());
        CHECK_FALSE(s.is_unix());
        REQUIRE(s.native_tls_handle() != nullptr);
        CHECK(tls::negotiated_alpn(s.native_tls_handle()) == "h2");
        CHECK(tls::negotiated_alpn(client.native_handle()) == "h2");
        CHECK(tls::peer_subject(s.native_tls_handle()).empty()); // no client certificate
        CHECK(tls::peer_subject(client.native_handle()) == "/CN=localhost");
        CHECK(s.remote_address() ==
              "127.0.0.1:" + std::to_string(client.next_layer().local_endpoint().port()));

        CHECK(rpcplugin::test::run(io, pass(client, s, "PRI * HTTP/2.0")) == "PRI * HTTP/2.0");
        std::string big(100000, 'q');
        CHECK(rpcplugin::test::run(io, pass(s, client, big)) == big);
    }

    TEST_CASE("stream over TLS on a Unix socket negotiates h2 and carries bytes")
    {
        asio::io_context io;
        tls_contexts ctx;
        transport::unix_socket a(io);
        transport::unix_socket b(io);
        asio::local::connect_pair(a, b);
        transport::stream::tls_unix server(std::move(a), *ctx.server);
        asio::ssl::stream<unix_protocol::socket> client(std::move(b), *ctx.client);
        auto [sec, cec] = handshake(io, server, client);
        REQUIRE_FALSE(sec);
        REQUIRE_FALSE(cec);

        transport::stream s(std::move(server));
        CHECK(s.is_tls());
        CHECK(s.is_unix());
        CHECK(tls::negotiated_alpn(s.native_tls_handle()) == "h2");
        CHECK(s.remote_address() == "unix:");
        CHECK(rpcplugin::test::run(io, pass(s, client, "over tls")) == "over tls");
        CHECK(rpcplugin::test::run(io, pass(client, s, "and back")) == "and back");
    }

    TEST_CASE("TLS server selects h2 from a client that offers http/1.1 and h2")
    {
        asio::io_context io;
        tls_contexts ctx;
        set_client_alpn(*ctx.client, std::string_view("\x08http/1.1\x02h2", 12));
        auto [client_sock, accepted] = tcp_pair(io);
        transport::stream::tls_tcp server(std::move(accepted), *ctx.server);
        asio::ssl::stream<asio::ip::tcp::socket> client(std::move(client_sock), *ctx.client);
        auto [sec, cec] = handshake(io, server, client);
        REQUIRE_FALSE(sec);
        REQUIRE_FALSE(cec);
        CHECK(tls::negotiated_alpn(server.native_handle()) == "h2");
    }

    TEST_CASE("TLS server refuses a client that offers only http/1.1")
    {
        asio::io_context io;
        tls_contexts ctx;
        set_client_alpn(*ctx.client, std::string_view("\x08http/1.1", 9));
        auto [client_sock, accepted] = tcp_pair(io);
        transport::stream::tls_tcp server(std::move(accepted), *ctx.server);
        asio::ssl::stream<asio::ip::tcp::socket> client(std::move(client_sock), *ctx.client);
        auto [sec, cec] = handshake(io, server, client);
        CHECK(sec);
        CHECK(cec);
        // The client learns why: the no_application_protocol alert (RFC 7301).
        CHECK(cec.message().find("no application protocol") != std::string::npos);
        CHECK(tls::negotiated_alpn(server.native_handle()).empty());
    }

    TEST_CASE("TLS without ALPN completes with no protocol, which the caller must refuse")
    {
        asio::io_context io;
        tls_contexts ctx;
        set_client_alpn(*ctx.client, {});
        auto [client_sock, accepted] = tcp_pair(io);
        transport::stream::tls_tcp server(std::move(accepted), *ctx.server);
        asio::ssl::stream<asio::ip::tcp::socket> client(std::move(client_sock), *ctx.client);
        auto [sec, cec] = handshake(io, server, client);
        REQUIRE_FALSE(sec);
        REQUIRE_FALSE(cec);
        CHECK(tls::negotiated_alpn(server.native_handle()).empty());
    }

    TEST_CASE("TLS client refuses a server whose certificate it does not trust")
    {
        asio::io_context io;
        tls_contexts ctx;
        auto other = rpcplugin::test::make_test_pki();
        tls::client_config cc;
        cc.server_roots_pem = other.ca.certificate_pem;
        auto distrusting = tls::make_client_context(cc);
        REQUIRE(distrusting.has_value());
        auto [client_sock, accepted] = tcp_pair(io);
        transport::stream::tls_tcp server(std::move(accepted), *ctx.server);
        asio::ssl::stream<asio::ip::tcp::socket> client(std::move(client_sock), **distrusting);
        auto [sec, cec] = handshake(io, server, client);
        CHECK(cec);
        CHECK(sec);
    }

    TEST_CASE("TLS server with client roots verifies the client certificate")
    {
        asio::io_context io;
        SUBCASE("a client with a certificate from the roots is accepted")
        {
            tls_contexts ctx(true, true);
            auto [client_sock, accepted] = tcp_pair(io);
            transport::stream::tls_tcp server(std::move(accepted), *ctx.server);
            asio::ssl::stream<asio::ip::tcp::socket> client(std::move(client_sock), *ctx.client);
            auto [sec, cec] = handshake(io, server, client);
            REQUIRE_FALSE(sec);
            REQUIRE_FALSE(cec);
            CHECK(tls::peer_subject(server.native_handle()) == "/CN=client");
        }
        SUBCASE("a client without a certificate is refused")
        {
            tls_contexts ctx(true, false);
            auto [client_sock, accepted] = tcp_pair(io);
            transport::stream::tls_tcp server(std::move(accepted), *ctx.server);
            asio::ssl::stream<asio::ip::tcp::socket> client(std::move(client_sock), *ctx.client);
            auto [sec, cec] = handshake(io, server, client);
            // TLS 1.3 finishes the client's side before the server checks its certificate.
            CHECK(sec);
            std::array<char, 1> buf{};
            error_code rec;
            if (!cec)
                client.read_some(asio::buffer(buf), rec);
            CHECK((cec || rec));
        }
    }

    TEST_CASE("make_server_context fails on bad PEM and on a key that does not match")
    {
        auto pki = rpcplugin::test::make_test_pki();
        tls::server_config garbage;
        garbage.certificate_chain_pem = "not a certificate";
        garbage.private_key_pem = pki.server.private_key_pem;
        CHECK(tls::make_server_context(garbage).has_error());

        tls::server_config mismatch;
        mismatch.certificate_chain_pem = pki.server.certificate_pem;
        mismatch.private_key_pem = pki.client.private_key_pem;
        CHECK(tls::make_server_context(mismatch).has_error());

        tls::server_config good;
        good.certificate_chain_pem = pki.server.certificate_pem;
        good.private_key_pem = pki.server.private_key_pem;
        CHECK(tls::make_server_context(good).has_value());
    }
}
