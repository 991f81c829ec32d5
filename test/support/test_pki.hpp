#pragma once

/**
 * @file
 * Throwaway ECDSA P-256 certificates for TLS tests, made with OpenSSL's C API: a CA, a
 * server certificate for "localhost"/127.0.0.1/::1 and a client certificate, both issued
 * by the CA. PEM text, as `tls::server_config` and `tls::client_config` take it.
 */

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <stdexcept>
#include <string>

namespace rpcplugin::test
{
/** A certificate and its private key, PEM. */
struct key_pair
{
    std::string certificate_pem;
    std::string private_key_pem;
};

/** A CA and two leaves it issued. */
struct test_pki
{
    key_pair ca;
    key_pair server; // CN=localhost, SAN DNS:localhost, IP:127.0.0.1, IP:::1
    key_pair client; // CN=client
};

namespace detail
{
struct openssl_free
{
    void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
    void operator()(X509* p) const noexcept { X509_free(p); }
    void operator()(BIO* p) const noexcept { BIO_free(p); }
    void operator()(X509_EXTENSION* p) const noexcept { X509_EXTENSION_free(p); }
};
template <class T>
using openssl_ptr = std::unique_ptr<T, openssl_free>;

inline void check(bool ok, const char* what)
{
    if (!ok)
        throw std::runtime_error(std::string("test_pki: OpenSSL failed: ") + what);
}

inline void add_ext(X509* cert, X509* issuer, int nid, const char* value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
    openssl_ptr<X509_EXTENSION> ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
    check(ext != nullptr, "X509V3_EXT_conf_nid");
    check(X509_add_ext(cert, ext.get(), -1) == 1, "X509_add_ext");
}

struct issued
{
    openssl_ptr<EVP_PKEY> key;
    openssl_ptr<X509> cert;
};

/** Issues a certificate for a new P-256 key; self-signed when `issuer` is null. */
inline issued issue(const char* cn, long serial, const issued* issuer, bool is_ca, const char* san)
{
    issued out;
    out.key.reset(EVP_EC_gen("P-256"));
    check(out.key != nullptr, "EVP_EC_gen");
    out.cert.reset(X509_new());
    X509* x = out.cert.get();
    check(x != nullptr, "X509_new");
    check(X509_set_version(x, X509_VERSION_3) == 1, "X509_set_version");
    check(ASN1_INTEGER_set(X509_get_serialNumber(x), serial) == 1, "serial");
    check(X509_gmtime_adj(X509_getm_notBefore(x), -3600) != nullptr, "notBefore");
    check(X509_gmtime_adj(X509_getm_notAfter(x), 24 * 3600) != nullptr, "notAfter");
    check(X509_set_pubkey(x, out.key.get()) == 1, "X509_set_pubkey");
    X509_NAME* name = X509_get_subject_name(x);
    check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                     reinterpret_cast<const unsigned char*>(cn), -1, -1, 0) == 1,
          "CN");
    X509* issuer_cert = issuer ? issuer->cert.get() : x;
    check(X509_set_issuer_name(x, X509_get_subject_name(issuer_cert)) == 1, "issuer");
    if (is_ca)
    {
        add_ext(x, issuer_cert, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(x, issuer_cert, NID_key_usage, "critical,keyCertSign,cRLSign");
    }
    else
    {
        add_ext(x, issuer_cert, NID_basic_constraints, "critical,CA:FALSE");
        add_ext(x, issuer_cert, NID_key_usage, "critical,digitalSignature");
        add_ext(x, issuer_cert, NID_ext_key_usage, "serverAuth,clientAuth");
    }
    add_ext(x, issuer_cert, NID_subject_key_identifier, "hash");
    if (san)
        add_ext(x, issuer_cert, NID_subject_alt_name, san);
    EVP_PKEY* signer = issuer ? issuer->key.get() : out.key.get();
    check(X509_sign(x, signer, EVP_sha256()) > 0, "X509_sign");
    return out;
}

inline std::string bio_text(BIO* bio)
{
    char* data = nullptr;
    long n = BIO_get_mem_data(bio, &data);
    return std::string(data, static_cast<std::size_t>(n));
}

inline key_pair to_pem(const issued& i)
{
    key_pair out;
    openssl_ptr<BIO> cert_bio(BIO_new(BIO_s_mem()));
    check(cert_bio && PEM_write_bio_X509(cert_bio.get(), i.cert.get()) == 1, "PEM_write_bio_X509");
    out.certificate_pem = bio_text(cert_bio.get());
    openssl_ptr<BIO> key_bio(BIO_new(BIO_s_mem()));
    check(key_bio && PEM_write_bio_PrivateKey(key_bio.get(), i.key.get(), nullptr, nullptr, 0,
                                              nullptr, nullptr) == 1,
          "PEM_write_bio_PrivateKey");
    out.private_key_pem = bio_text(key_bio.get());
    return out;
}
} // namespace detail

/** Makes a fresh CA, server and client certificate (a few milliseconds). */
inline test_pki make_test_pki()
{
    auto ca = detail::issue("rpcplugin test CA", 1, nullptr, true, nullptr);
    auto server = detail::issue("localhost", 2, &ca, false, "DNS:localhost,IP:127.0.0.1,IP:::1");
    auto client = detail::issue("client", 3, &ca, false, nullptr);
    return {detail::to_pem(ca), detail::to_pem(server), detail::to_pem(client)};
}
} // namespace rpcplugin::test
