#include "rpcplugin/tls/context.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/ssl/error.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <cstring>

namespace rpcplugin::tls
{
namespace
{
using boost::system::error_code;
namespace ssl = asio::ssl;

constexpr unsigned char alpn_h2[] = {2, 'h', '2'};

// Selects "h2" from the client's list; any other list is refused with the
// no_application_protocol alert (RFC 7301), so a peer never silently speaks HTTP/1.1.
int select_h2(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
              unsigned int inlen, void*)
{
    unsigned char* selected = nullptr;
    if (SSL_select_next_proto(&selected, outlen, alpn_h2, sizeof(alpn_h2), in, inlen) !=
        OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_ALERT_FATAL;
    *out = selected;
    return SSL_TLSEXT_ERR_OK;
}

error_code add_roots(ssl::context& ctx, const std::string& pem)
{
    error_code ec;
    ctx.add_certificate_authority(asio::buffer(pem), ec);
    return ec;
}

error_code base_setup(ssl::context& ctx)
{
    error_code ec;
    ctx.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                        ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                        ssl::context::single_dh_use,
                    ec);
    if (ec)
        return ec;
    SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
    SSL_CTX_set_mode(ctx.native_handle(), SSL_MODE_RELEASE_BUFFERS);
    return {};
}

error_code use_key_pair(ssl::context& ctx, const std::string& chain, const std::string& key)
{
    error_code ec;
    ctx.use_certificate_chain(asio::buffer(chain), ec);
    if (ec)
        return ec;
    ctx.use_private_key(asio::buffer(key), ssl::context::pem, ec);
    if (ec)
        return ec;
    if (SSL_CTX_check_private_key(ctx.native_handle()) != 1)
        return error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
    return {};
}
} // namespace

boost::system::result<std::shared_ptr<ssl::context>>
make_server_context(const server_config& config)
{
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
    if (auto ec = base_setup(*ctx))
        return ec;
    if (auto ec = use_key_pair(*ctx, config.certificate_chain_pem, config.private_key_pem))
        return ec;
    if (!config.client_roots_pem.empty())
    {
        if (auto ec = add_roots(*ctx, config.client_roots_pem))
            return ec;
        error_code ec;
        auto mode = ssl::verify_peer;
        if (config.require_client_certificate)
            mode |= ssl::verify_fail_if_no_peer_cert;
        ctx->set_verify_mode(mode, ec);
        if (ec)
            return ec;
    }
    SSL_CTX_set_alpn_select_cb(ctx->native_handle(), select_h2, nullptr);
    return ctx;
}

boost::system::result<std::shared_ptr<ssl::context>>
make_client_context(const client_config& config)
{
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    if (auto ec = base_setup(*ctx))
        return ec;
    error_code ec;
    if (!config.server_roots_pem.empty())
        ec = add_roots(*ctx, config.server_roots_pem);
    else
        ctx->set_default_verify_paths(ec);
    if (ec)
        return ec;
    if (!config.certificate_chain_pem.empty())
    {
        if (auto e = use_key_pair(*ctx, config.certificate_chain_pem, config.private_key_pem))
            return e;
    }
    ctx->set_verify_mode(config.insecure_skip_verify ? ssl::verify_none : ssl::verify_peer, ec);
    if (ec)
        return ec;
    if (SSL_CTX_set_alpn_protos(ctx->native_handle(), alpn_h2, sizeof(alpn_h2)) != 0)
        return error_code(static_cast<int>(::ERR_get_error()), asio::error::get_ssl_category());
    return ctx;
}

std::string negotiated_alpn(const SSL* ssl)
{
    const unsigned char* data = nullptr;
    unsigned int len = 0;
    SSL_get0_alpn_selected(ssl, &data, &len);
    return data ? std::string(reinterpret_cast<const char*>(data), len) : std::string();
}

std::string peer_subject(const SSL* ssl)
{
    X509* cert = SSL_get0_peer_certificate(ssl);
    if (!cert)
        return {};
    char buf[512];
    X509_NAME_oneline(X509_get_subject_name(cert), buf, sizeof(buf));
    return buf;
}

session_info describe_session(const SSL* ssl)
{
    session_info info;
    if (!ssl)
        return info;
    info.version = SSL_get_version(ssl);
    if (const SSL_CIPHER* c = SSL_get_current_cipher(ssl))
        info.cipher = SSL_CIPHER_standard_name(c);
    info.alpn = negotiated_alpn(ssl);
    if (X509* cert = SSL_get0_peer_certificate(ssl))
    {
        int n = i2d_X509(cert, nullptr);
        if (n > 0)
        {
            info.peer_certificate_der.resize(static_cast<std::size_t>(n));
            auto* p = reinterpret_cast<unsigned char*>(info.peer_certificate_der.data());
            i2d_X509(cert, &p);
        }
    }
    return info;
}
} // namespace rpcplugin::tls
