#pragma once

/**
 * @file
 * AutoMTLS certificates: a fresh self-signed certificate like go-plugin's `generateCert`,
 * parsing and checking PEM certificates and keys given in the environment, and the
 * unpadded base64 DER of the handshake line. OpenSSL 3 EVP API. Every failure is a
 * `wire::error` with `errc::bad_certificate`; the message carries OpenSSL's reason when it
 * has one.
 */

#include "rpcplugin/wire/error.hpp"

#include <boost/system/result.hpp>

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

namespace rpcplugin::wire
{
/** ECDSA curves for generated keys. The signature hash follows the curve, as in Go. */
enum class ec_curve
{
    p256, ///< prime256v1 / secp256r1, signed with SHA-256
    p384, ///< secp384r1, signed with SHA-384
    p521, ///< secp521r1, signed with SHA-512 (go-plugin's host certificate)
};

/** What `generate_certificate` puts in the certificate. The defaults suit the plugin side. */
struct certificate_options
{
    /** Key curve. P-256 by default; go-plugin itself uses P-521. */
    ec_curve curve = ec_curve::p256;
    /** Subject (and issuer) common name. */
    std::string common_name = "localhost";
    /** Subject (and issuer) organization; empty for none. */
    std::string organization = "rpcplugin";
    /** DNS subject alternative names. go-plugin's host verifies `localhost`. */
    std::vector<std::string> dns_names = {"localhost"};
    /** IP subject alternative names, textual IPv4 or IPv6 (for TCP clients that verify the IP). */
    std::vector<std::string> ip_addresses = {"127.0.0.1", "::1"};
    /** BasicConstraints CA:TRUE and KeyUsage keyCertSign, as go-plugin sets them. */
    bool is_ca = true;
    /** NotBefore = now - backdate (go-plugin: 30 s, against clock skew). */
    std::chrono::seconds backdate{30};
    /** NotAfter = now + validity (go-plugin: 262980 h, about 30 years). */
    std::chrono::hours validity{262980};
};

/** A generated certificate and its key. */
struct generated_certificate
{
    /** The certificate, PEM (`-----BEGIN CERTIFICATE-----`, trailing newline). */
    std::string certificate_pem;
    /** The private key, PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`), unencrypted. */
    std::string private_key_pem;
    /** The certificate, DER. */
    std::string certificate_der;
};

/**
 * Generates a fresh ECDSA key and a self-signed X.509 v3 certificate, like go-plugin's
 * `generateCert`:
 *
 * - serial: 128 random bits (positive, as Go's `rand.Int(2^128)`);
 * - subject = issuer: `CN=<common_name>, O=<organization>`;
 * - BasicConstraints (critical): `CA:TRUE` when `is_ca`, else `CA:FALSE`;
 * - KeyUsage (critical): digitalSignature, keyEncipherment, keyAgreement, and keyCertSign
 *   when `is_ca` (go-plugin's 0x35);
 * - ExtendedKeyUsage: clientAuth, serverAuth; SubjectKeyIdentifier (hash of the key);
 * - SubjectAltName: the DNS names and IP addresses;
 * - validity `now - backdate` to `now + validity`.
 *
 * Fails when an IP address does not parse, when there is no subject alternative name, or
 * when OpenSSL fails (the message carries OpenSSL's reason).
 */
boost::system::result<generated_certificate, error>
generate_certificate(const certificate_options& options = {},
                     std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

/** What a parsed certificate holds, as plain data. */
struct certificate_info
{
    /** The certificate, DER. */
    std::string der;
    /** Subject, RFC 2253 form, most specific first (`CN=localhost,O=HashiCorp`). */
    std::string subject;
    /** Issuer, RFC 2253 form. */
    std::string issuer;
    /** Serial number, upper-case hex without leading zeros (`0` for zero). */
    std::string serial_hex;
    /** Public key algorithm: `EC P-256`, `EC P-384`, `EC P-521`, `RSA 2048`, `ED25519`, ... */
    std::string key_type;
    /** Signature algorithm, OpenSSL's short name: `ecdsa-with-SHA256`, `ecdsa-with-SHA512`, ... */
    std::string signature_algorithm;
    /** DNS subject alternative names, in certificate order. */
    std::vector<std::string> dns_names;
    /** IP subject alternative names, textual (`127.0.0.1`, `::1`), in certificate order. */
    std::vector<std::string> ip_addresses;
    /** True when the certificate has an ExtendedKeyUsage extension. */
    bool has_extended_key_usage = false;
    /** ExtendedKeyUsage contains serverAuth. */
    bool server_auth = false;
    /** ExtendedKeyUsage contains clientAuth. */
    bool client_auth = false;
    /** True when the certificate has a KeyUsage extension. */
    bool has_key_usage = false;
    /** KeyUsage bits. */
    bool digital_signature = false;
    bool key_encipherment = false; ///< KeyUsage keyEncipherment.
    bool key_agreement = false;    ///< KeyUsage keyAgreement.
    bool key_cert_sign = false;    ///< KeyUsage keyCertSign.
    /** BasicConstraints CA:TRUE. */
    bool is_ca = false;
    /** Validity period. */
    std::chrono::system_clock::time_point not_before;
    std::chrono::system_clock::time_point not_after; ///< End of the validity period.
};

/**
 * Parses exactly one PEM certificate (text before, between and after PEM blocks is
 * ignored, as are other block types). Errors: no `CERTIFICATE` block ("no PEM certificate
 * found"), a malformed block (with OpenSSL's reason), more than one certificate.
 */
boost::system::result<certificate_info, error> parse_certificate_pem(std::string_view pem);

/**
 * Parses every PEM certificate in a bundle (`PLUGIN_CLIENT_ROOT_CERTS`, a chain in
 * `PLUGIN_SERVER_CERT`, or `PLUGIN_CLIENT_CERT`, which go-plugin reads as a pool). Fails when
 * there is none or one is malformed (naming which one, counting from 1).
 */
boost::system::result<std::vector<certificate_info>, error>
parse_certificates_pem(std::string_view pem);

/** Parses a DER certificate; trailing bytes are an error. */
boost::system::result<certificate_info, error> parse_certificate_der(std::string_view der);

/** Encodes a DER certificate as PEM (64-column base64, trailing newline); checks it parses. */
boost::system::result<std::string, error> certificate_der_to_pem(std::string_view der);

/** What a parsed private key is. */
struct private_key_info
{
    /** Same vocabulary as `certificate_info::key_type`. */
    std::string key_type;
};

/**
 * Parses one unencrypted PEM private key (PKCS#8 `PRIVATE KEY`, SEC1 `EC PRIVATE KEY` or
 * PKCS#1 `RSA PRIVATE KEY`). An encrypted key is an error (no passphrase is ever asked for).
 */
boost::system::result<private_key_info, error> parse_private_key_pem(std::string_view pem);

/**
 * Checks that the private key in `key_pem` belongs to the first certificate in `cert_pem`.
 * Fails when either does not parse or they do not match.
 */
boost::system::result<void, error> check_key_pair(std::string_view cert_pem,
                                                  std::string_view key_pem);

/**
 * Standard base64 (`+/`) of `der` without `=` padding (Go's `base64.RawStdEncoding`): the
 * sixth field of the handshake line. go-plugin hosts reject padding.
 */
std::string base64_der_nopad(std::string_view der);
} // namespace rpcplugin::wire
