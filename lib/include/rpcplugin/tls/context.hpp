#pragma once

/**
 * @file
 * OpenSSL contexts for the server and client sides: certificates, client verification
 * and ALPN "h2".
 */

#include "rpcplugin/asio.hpp"

#include <boost/asio/ssl/context.hpp>
#include <boost/system/result.hpp>

#include <memory>
#include <string>

namespace rpcplugin::tls
{
/** Server-side TLS settings. PEM text, not file names. */
struct server_config
{
    /** The server certificate chain (leaf first), PEM. */
    std::string certificate_chain_pem;
    /** The private key of the leaf certificate, PEM (RSA or EC, unencrypted). */
    std::string private_key_pem;
    /** Roots that client certificates must chain to, PEM; empty disables client auth. */
    std::string client_roots_pem;
    /** With `client_roots_pem`: fail the handshake when the client sends no certificate. */
    bool require_client_certificate = true;
};

/**
 * Builds a server context: TLS 1.2 or newer, the given key pair, ALPN that selects "h2"
 * and refuses clients that offer only other protocols (no_application_protocol alert),
 * and, with client roots, peer verification.
 *
 * Fails with OpenSSL's error (category "asio.ssl") when the certificate or key does not
 * parse or they do not match.
 */
boost::system::result<std::shared_ptr<asio::ssl::context>>
make_server_context(const server_config& config);

/** Client-side TLS settings. PEM text, not file names. */
struct client_config
{
    /** Roots to verify the server against, PEM; empty uses the system's default paths. */
    std::string server_roots_pem;
    /** Client certificate chain for mutual TLS, PEM; empty for none. */
    std::string certificate_chain_pem;
    /** Private key of the client certificate, PEM. */
    std::string private_key_pem;
    /** Name to verify in the server certificate (and send as SNI); empty: the target host. */
    std::string server_name;
    /** Skip server verification (tests only). */
    bool insecure_skip_verify = false;
};

/** Builds a client context: TLS 1.2 or newer, ALPN "h2", roots and optional client key pair. */
boost::system::result<std::shared_ptr<asio::ssl::context>>
make_client_context(const client_config& config);

/** The ALPN protocol the peer and we agreed on, or empty. */
std::string negotiated_alpn(const SSL* ssl);

/** The subject of the peer's leaf certificate in one-line form, or empty without one. */
std::string peer_subject(const SSL* ssl);

/** What an established TLS session negotiated (all empty for plaintext). */
struct session_info
{
    /** Protocol version, OpenSSL's name: `TLSv1.3`, `TLSv1.2`. */
    std::string version;
    /** Cipher suite, IANA name: `TLS_AES_128_GCM_SHA256`. */
    std::string cipher;
    /** The negotiated ALPN protocol (`h2`). */
    std::string alpn;
    /** The peer's leaf certificate, DER; empty without one. */
    std::string peer_certificate_der;
};

/** Describes the session of `ssl` (a completed handshake). */
session_info describe_session(const SSL* ssl);
} // namespace rpcplugin::tls
