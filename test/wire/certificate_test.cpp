#include "rpcplugin/wire/certificate.hpp"

#include "rpcplugin/tls/context.hpp"
#include "support/test_pki.hpp"

#include <doctest/doctest.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace wire = rpcplugin::wire;
namespace tls = rpcplugin::tls;

using namespace std::chrono;
using namespace std::chrono_literals;

namespace
{
wire::generated_certificate generated(const wire::certificate_options& options = {},
                                      system_clock::time_point now = system_clock::now())
{
    auto r = wire::generate_certificate(options, now);
    REQUIRE_MESSAGE(r.has_value(), r.error());
    return *r;
}

wire::certificate_info info_of(std::string_view pem)
{
    auto r = wire::parse_certificate_pem(pem);
    REQUIRE_MESSAGE(r.has_value(), r.error());
    return *r;
}

std::string pem_error(std::string_view pem)
{
    auto r = wire::parse_certificate_pem(pem);
    REQUIRE(r.has_error());
    return r.error().message;
}

std::string key_error(std::string_view pem)
{
    auto r = wire::parse_private_key_pem(pem);
    REQUIRE(r.has_error());
    return r.error().message;
}

std::string generation_error(const wire::certificate_options& options)
{
    auto r = wire::generate_certificate(options);
    REQUIRE(r.has_error());
    return r.error().message;
}

// go-plugin's host certificate: P-521, O=HashiCorp, SAN DNS:localhost only.
wire::certificate_options go_plugin_host_options()
{
    wire::certificate_options o;
    o.curve = wire::ec_curve::p521;
    o.organization = "HashiCorp";
    o.ip_addresses.clear();
    return o;
}

// The certificate's PEM body without headers and line breaks: standard padded base64.
std::string pem_body(const std::string& pem)
{
    std::string body;
    std::size_t start = pem.find('\n') + 1;
    const std::size_t end = pem.find("-----END");
    for (std::size_t i = start; i < end; ++i)
    {
        if (pem[i] != '\n')
            body += pem[i];
    }
    return body;
}

std::string sec1_pem(const std::string& pkcs8_pem)
{
    std::unique_ptr<BIO, decltype(&BIO_free)> in(
        BIO_new_mem_buf(pkcs8_pem.data(), static_cast<int>(pkcs8_pem.size())), BIO_free);
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
        PEM_read_bio_PrivateKey(in.get(), nullptr, nullptr, nullptr), EVP_PKEY_free);
    REQUIRE(key);
    std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_mem()), BIO_free);
    REQUIRE(PEM_write_bio_PrivateKey_traditional(out.get(), key.get(), nullptr, nullptr, 0, nullptr,
                                                 nullptr) == 1);
    char* data = nullptr;
    const long n = BIO_get_mem_data(out.get(), &data);
    return std::string(data, static_cast<std::size_t>(n));
}

// Runs a TLS handshake between two contexts over an in-memory BIO pair. Returns whether the
// server side completed; `alpn` gets the protocol the server selected.
struct handshake_result
{
    bool server_ok = false;
    bool client_ok = false;
    long client_verify = -1;
    std::string alpn;
    std::string peer_subject;
};

handshake_result handshake(SSL_CTX* server_ctx, SSL_CTX* client_ctx)
{
    using ssl_ptr = std::unique_ptr<SSL, decltype(&SSL_free)>;
    ssl_ptr server(SSL_new(server_ctx), SSL_free);
    ssl_ptr client(SSL_new(client_ctx), SSL_free);
    REQUIRE(server);
    REQUIRE(client);
    BIO* server_bio = nullptr;
    BIO* client_bio = nullptr;
    REQUIRE(BIO_new_bio_pair(&server_bio, 0, &client_bio, 0) == 1);
    SSL_set_bio(server.get(), server_bio, server_bio);
    SSL_set_bio(client.get(), client_bio, client_bio);
    SSL_set_accept_state(server.get());
    SSL_set_connect_state(client.get());
    SSL_set_tlsext_host_name(client.get(), "localhost");
    REQUIRE(SSL_set1_host(client.get(), "localhost") == 1);

    handshake_result result;
    bool server_failed = false;
    bool client_failed = false;
    const auto step = [](SSL* ssl, bool& done, bool& failed)
    {
        if (done || failed)
            return;
        const int r = SSL_do_handshake(ssl);
        if (r == 1)
        {
            done = true;
            return;
        }
        const int e = SSL_get_error(ssl, r);
        if (e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE)
            failed = true;
    };
    for (int i = 0; i < 50 && !(result.server_ok && result.client_ok) && !server_failed; ++i)
    {
        step(client.get(), result.client_ok, client_failed);
        step(server.get(), result.server_ok, server_failed);
    }
    if (result.server_ok)
    {
        // TLS 1.3: the client finishes first; let it read the server's tickets.
        char byte;
        SSL_read(client.get(), &byte, 1);
        result.alpn = tls::negotiated_alpn(server.get());
        result.peer_subject = tls::peer_subject(server.get());
    }
    result.client_verify = SSL_get_verify_result(client.get());
    ERR_clear_error();
    return result;
}

std::shared_ptr<boost::asio::ssl::context> server_context(const tls::server_config& config)
{
    auto ctx = tls::make_server_context(config);
    REQUIRE_MESSAGE(ctx.has_value(), ctx.error().message());
    return *ctx;
}

std::shared_ptr<boost::asio::ssl::context> client_context(const tls::client_config& config)
{
    auto ctx = tls::make_client_context(config);
    REQUIRE_MESSAGE(ctx.has_value(), ctx.error().message());
    return *ctx;
}
} // namespace

TEST_SUITE("wire")
{
    TEST_CASE("generate_certificate makes a go-plugin style self-signed certificate")
    {
        const auto now = floor<seconds>(system_clock::now());
        const auto cert = generated({}, now);
        CHECK(cert.certificate_pem.starts_with("-----BEGIN CERTIFICATE-----\n"));
        CHECK(cert.certificate_pem.ends_with("-----END CERTIFICATE-----\n"));
        CHECK(cert.private_key_pem.starts_with("-----BEGIN PRIVATE KEY-----\n"));

        const auto info = info_of(cert.certificate_pem);
        CHECK(info.der == cert.certificate_der);
        CHECK(info.subject == "CN=localhost,O=rpcplugin");
        CHECK(info.issuer == info.subject);
        CHECK(info.key_type == "EC P-256");
        CHECK(info.signature_algorithm == "ecdsa-with-SHA256");
        CHECK(info.dns_names == std::vector<std::string>{"localhost"});
        CHECK(info.ip_addresses == std::vector<std::string>{"127.0.0.1", "::1"});
        CHECK(info.has_extended_key_usage);
        CHECK(info.server_auth);
        CHECK(info.client_auth);
        CHECK(info.has_key_usage);
        CHECK(info.digital_signature);
        CHECK(info.key_encipherment);
        CHECK(info.key_agreement);
        CHECK(info.key_cert_sign);
        CHECK(info.is_ca);
        CHECK(info.not_before == now - 30s);
        CHECK(info.not_after == now + 262980h);
        CHECK_FALSE(info.serial_hex.empty());
        CHECK(info.serial_hex.size() <= 32);
        CHECK(wire::check_key_pair(cert.certificate_pem, cert.private_key_pem).has_value());
    }

    TEST_CASE("generate_certificate draws a fresh key and serial each time")
    {
        const auto a = generated();
        const auto b = generated();
        CHECK(a.certificate_der != b.certificate_der);
        CHECK(a.private_key_pem != b.private_key_pem);
        CHECK(info_of(a.certificate_pem).serial_hex != info_of(b.certificate_pem).serial_hex);
        auto mixed = wire::check_key_pair(a.certificate_pem, b.private_key_pem);
        REQUIRE(mixed.has_error());
        CHECK(mixed.error().message == "the private key does not belong to the certificate");
    }

    TEST_CASE("generate_certificate supports the P-384 and P-521 curves")
    {
        const auto p384 = generated(
            []
            {
                wire::certificate_options o;
                o.curve = wire::ec_curve::p384;
                return o;
            }());
        CHECK(info_of(p384.certificate_pem).key_type == "EC P-384");
        CHECK(info_of(p384.certificate_pem).signature_algorithm == "ecdsa-with-SHA384");
        const auto p521 = generated(go_plugin_host_options());
        const auto info = info_of(p521.certificate_pem);
        CHECK(info.key_type == "EC P-521");
        CHECK(info.signature_algorithm == "ecdsa-with-SHA512");
        CHECK(info.subject == "CN=localhost,O=HashiCorp");
        CHECK(info.ip_addresses.empty());
        CHECK(wire::parse_private_key_pem(p521.private_key_pem)->key_type == "EC P-521");
        CHECK(wire::check_key_pair(p521.certificate_pem, p521.private_key_pem).has_value());
    }

    TEST_CASE("generate_certificate honours the other options")
    {
        wire::certificate_options o;
        o.is_ca = false;
        o.common_name = "plugin";
        o.organization = "";
        o.dns_names = {"localhost", "plugin.internal"};
        o.ip_addresses = {"10.0.0.1", "fe80::1"};
        o.backdate = 0s;
        o.validity = 24h;
        const auto now = floor<seconds>(system_clock::now());
        const auto info = info_of(generated(o, now).certificate_pem);
        CHECK(info.subject == "CN=plugin");
        CHECK_FALSE(info.is_ca);
        CHECK_FALSE(info.key_cert_sign);
        CHECK(info.digital_signature);
        CHECK(info.dns_names == std::vector<std::string>{"localhost", "plugin.internal"});
        CHECK(info.ip_addresses == std::vector<std::string>{"10.0.0.1", "fe80::1"});
        CHECK(info.not_before == now);
        CHECK(info.not_after == now + 24h);
    }

    TEST_CASE("generate_certificate refuses bad names")
    {
        wire::certificate_options o;
        o.ip_addresses = {"127.0.0.256"};
        CHECK(generation_error(o) == "\"127.0.0.256\" is not an IPv4 or IPv6 address");
        o.ip_addresses = {"localhost"};
        CHECK(generation_error(o) == "\"localhost\" is not an IPv4 or IPv6 address");
        o.ip_addresses = {};
        o.dns_names = {};
        CHECK(generation_error(o) == "a certificate needs at least one DNS name or IP address");
        o.dns_names = {""};
        CHECK(generation_error(o) == "empty DNS name in the subject alternative names");
        o.dns_names = {"local host"};
        CHECK(generation_error(o) ==
              "DNS name \"local host\" has a character outside printable ASCII");
        o.dns_names = {"h\xc3\xa9"};
        CHECK(generation_error(o).find("outside printable ASCII") != std::string::npos);
        CHECK_THROWS_AS(wire::generate_certificate(o).value(), std::runtime_error);
    }

    TEST_CASE("parse_certificate_pem refuses garbage with a clear message")
    {
        CHECK(pem_error("") ==
              "no PEM certificate found (expected a \"-----BEGIN CERTIFICATE-----\" block)");
        CHECK(pem_error("hello") == pem_error(""));
        CHECK(pem_error(generated().private_key_pem) == pem_error(""));
        CHECK(pem_error("-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n")
                  .starts_with("malformed PEM certificate"));
        CHECK(pem_error("-----BEGIN CERTIFICATE-----\nAAAAAAAA\n-----END CERTIFICATE-----\n")
                  .starts_with("malformed PEM certificate: "));
        const std::string cert = generated().certificate_pem;
        CHECK(pem_error(cert.substr(0, cert.size() - 10)).starts_with("malformed PEM certificate"));
        CHECK(pem_error(cert + cert) == "expected one PEM certificate, found 2");
    }

    TEST_CASE("parse_certificate_pem tolerates text around the block and CRLF line ends")
    {
        const auto cert = generated();
        CHECK(info_of("subject=CN=localhost\n" + cert.certificate_pem + "\ntrailer\n").der ==
              cert.certificate_der);
        std::string crlf;
        for (char c : cert.certificate_pem)
        {
            if (c == '\n')
                crlf += '\r';
            crlf += c;
        }
        CHECK(info_of(crlf).der == cert.certificate_der);
    }

    TEST_CASE("parse_certificates_pem reads a bundle and names a bad member")
    {
        const auto a = generated();
        const auto b = generated();
        auto both = wire::parse_certificates_pem(a.certificate_pem + b.certificate_pem);
        REQUIRE(both.has_value());
        REQUIRE(both->size() == 2);
        CHECK((*both)[0].der == a.certificate_der);
        CHECK((*both)[1].der == b.certificate_der);

        auto bad = wire::parse_certificates_pem(
            a.certificate_pem + "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
        REQUIRE(bad.has_error());
        CHECK(bad.error().message.starts_with("malformed PEM certificate number 2"));

        auto none = wire::parse_certificates_pem("nothing");
        REQUIRE(none.has_error());
        CHECK(none.error().message.starts_with("no PEM certificate found"));
    }

    TEST_CASE("parse_certificate_der and certificate_der_to_pem round-trip")
    {
        const auto cert = generated();
        auto info = wire::parse_certificate_der(cert.certificate_der);
        REQUIRE(info.has_value());
        CHECK(info->dns_names == std::vector<std::string>{"localhost"});
        auto pem = wire::certificate_der_to_pem(cert.certificate_der);
        REQUIRE(pem.has_value());
        CHECK(*pem == cert.certificate_pem);
    }

    TEST_CASE("parse_certificate_der refuses empty, garbage and trailing bytes")
    {
        auto empty = wire::parse_certificate_der("");
        REQUIRE(empty.has_error());
        CHECK(empty.error().message == "empty DER certificate");
        auto garbage = wire::parse_certificate_der("not a certificate");
        REQUIRE(garbage.has_error());
        CHECK(garbage.error().message.starts_with("malformed DER certificate"));
        auto trailing = wire::parse_certificate_der(generated().certificate_der + "x");
        REQUIRE(trailing.has_error());
        CHECK(trailing.error().message == "trailing bytes after the DER certificate");
        auto truncated = wire::parse_certificate_der(generated().certificate_der.substr(0, 100));
        REQUIRE(truncated.has_error());
        CHECK(truncated.error().message.starts_with("malformed DER certificate"));
        auto to_pem = wire::certificate_der_to_pem("junk");
        REQUIRE(to_pem.has_error());
        CHECK(to_pem.error().message.starts_with("malformed DER certificate"));
    }

    TEST_CASE("parse_private_key_pem reads PKCS#8 and SEC1 keys")
    {
        const auto cert = generated();
        auto pkcs8 = wire::parse_private_key_pem(cert.private_key_pem);
        REQUIRE(pkcs8.has_value());
        CHECK(pkcs8->key_type == "EC P-256");
        const std::string sec1 = sec1_pem(cert.private_key_pem);
        CHECK(sec1.starts_with("-----BEGIN EC PRIVATE KEY-----"));
        auto traditional = wire::parse_private_key_pem(sec1);
        REQUIRE(traditional.has_value());
        CHECK(traditional->key_type == "EC P-256");
        CHECK(wire::check_key_pair(cert.certificate_pem, sec1).has_value());
    }

    TEST_CASE("parse_private_key_pem refuses garbage and encrypted keys")
    {
        CHECK(key_error("") ==
              "no PEM private key found (expected a \"-----BEGIN PRIVATE KEY-----\" block)");
        CHECK(key_error(generated().certificate_pem) == key_error(""));
        CHECK(key_error("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")
                  .starts_with("malformed PEM private key"));
        CHECK(key_error("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED "
                        "PRIVATE KEY-----\n") ==
              "the private key is encrypted; an unencrypted PEM key is needed");
    }

    TEST_CASE("check_key_pair reports which side does not parse")
    {
        const auto cert = generated();
        auto no_cert = wire::check_key_pair("junk", cert.private_key_pem);
        REQUIRE(no_cert.has_error());
        CHECK(no_cert.error().message.starts_with("no PEM certificate found"));
        auto no_key = wire::check_key_pair(cert.certificate_pem, "junk");
        REQUIRE(no_key.has_error());
        CHECK(no_key.error().message.starts_with("no PEM private key found"));
    }

    TEST_CASE("base64_der_nopad is standard base64 without padding")
    {
        CHECK(wire::base64_der_nopad("") == "");
        CHECK(wire::base64_der_nopad("a") == "YQ");
        CHECK(wire::base64_der_nopad("ab") == "YWI");
        CHECK(wire::base64_der_nopad("abc") == "YWJj");
        CHECK(wire::base64_der_nopad("\xfb\xef\xbe") == "++++");
        CHECK(wire::base64_der_nopad("\xff\xff\xff") == "////");

        const auto cert = generated();
        std::string body = pem_body(cert.certificate_pem);
        while (!body.empty() && body.back() == '=')
            body.pop_back();
        CHECK(wire::base64_der_nopad(cert.certificate_der) == body);
    }

    TEST_CASE("a generated certificate builds a TLS server context; a foreign key does not")
    {
        const auto plugin_cert = generated();
        const auto host_cert = generated(go_plugin_host_options());
        tls::server_config config{plugin_cert.certificate_pem, plugin_cert.private_key_pem,
                                  host_cert.certificate_pem, true};
        CHECK(tls::make_server_context(config).has_value());
        config.private_key_pem = host_cert.private_key_pem;
        CHECK(tls::make_server_context(config).has_error());
    }

    TEST_CASE("AutoMTLS: the plugin certificate serves a go-plugin style P-521 host over TLS")
    {
        const auto plugin_cert = generated();
        const auto host_cert = generated(go_plugin_host_options());
        const auto server =
            server_context({plugin_cert.certificate_pem, plugin_cert.private_key_pem,
                            host_cert.certificate_pem, true});

        SUBCASE("the host's certificate is required and verified")
        {
            const auto client =
                client_context({plugin_cert.certificate_pem, host_cert.certificate_pem,
                                host_cert.private_key_pem, "localhost", false});
            const auto r = handshake(server->native_handle(), client->native_handle());
            CHECK(r.server_ok);
            CHECK(r.client_ok);
            CHECK(r.client_verify == X509_V_OK);
            CHECK(r.alpn == "h2");
            CHECK(r.peer_subject.find("HashiCorp") != std::string::npos);
        }
        SUBCASE("a client with another certificate is refused")
        {
            const auto other = generated(go_plugin_host_options());
            const auto client = client_context({plugin_cert.certificate_pem, other.certificate_pem,
                                                other.private_key_pem, "localhost", false});
            CHECK_FALSE(handshake(server->native_handle(), client->native_handle()).server_ok);
        }
        SUBCASE("a client certificate from another CA is refused")
        {
            const auto pki = rpcplugin::test::make_test_pki();
            const auto client =
                client_context({plugin_cert.certificate_pem, pki.client.certificate_pem,
                                pki.client.private_key_pem, "localhost", false});
            CHECK_FALSE(handshake(server->native_handle(), client->native_handle()).server_ok);
        }
        SUBCASE("a client without a certificate is refused")
        {
            const auto client =
                client_context({plugin_cert.certificate_pem, "", "", "localhost", false});
            CHECK_FALSE(handshake(server->native_handle(), client->native_handle()).server_ok);
        }
        SUBCASE("the host trusts only the certificate of the plugin it launched")
        {
            const auto stranger = generated();
            const auto client = client_context({stranger.certificate_pem, host_cert.certificate_pem,
                                                host_cert.private_key_pem, "localhost", false});
            const auto r = handshake(server->native_handle(), client->native_handle());
            CHECK_FALSE(r.client_ok);
            CHECK(r.client_verify != X509_V_OK);
        }
    }
}
