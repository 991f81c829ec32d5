#pragma once

/**
 * @file
 * rpcplugin's TLS settings from the PEM files the test and benchmark programs take as
 * flags (`--cert`, `--key`, `--client-ca`, `--ca`). Each function throws
 * std::runtime_error("cannot read PATH") for a file it cannot read.
 */

#include "support/program.hpp"

#include <rpcplugin/tls/context.hpp>

#include <string>

namespace rpcplugin::test
{
/** A server's TLS settings: its chain and key; with `client_ca`, client certificates are required.
 */
inline tls::server_config server_tls_files(const std::string& cert, const std::string& key,
                                           const std::string& client_ca = {})
{
    tls::server_config c;
    c.certificate_chain_pem = read_file(cert);
    c.private_key_pem = read_file(key);
    if (!client_ca.empty())
        c.client_roots_pem = read_file(client_ca);
    return c;
}

/**
 * A client's TLS settings: `ca` verifies the server (empty: the system's roots, or no
 * verification at all with `insecure_without_ca`), `server_name` is the name checked, and
 * `cert`/`key` (both or neither) are the client's own key pair.
 */
inline tls::client_config client_tls_files(const std::string& ca, const std::string& server_name,
                                           const std::string& cert = {},
                                           const std::string& key = {},
                                           bool insecure_without_ca = false)
{
    tls::client_config c;
    if (!ca.empty())
        c.server_roots_pem = read_file(ca);
    else
        c.insecure_skip_verify = insecure_without_ca;
    c.server_name = server_name;
    if (!cert.empty())
    {
        c.certificate_chain_pem = read_file(cert);
        c.private_key_pem = read_file(key);
    }
    return c;
}
} // namespace rpcplugin::test
