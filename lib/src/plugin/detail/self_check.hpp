#pragma once

/**
 * @file
 * The readiness self-check of `plugin::server::wait_for_server_ready`: a real client
 * connection to the plugin's own listener, and the TLS rule that lets it in under AutoMTLS.
 */

#include "rpcplugin/asio.hpp"
#include "rpcplugin/tls/context.hpp"

#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <optional>
#include <string>

namespace rpcplugin::plugin::detail
{
/**
 * Makes a server context that verifies client certificates also accept a client whose
 * leaf certificate is byte for byte the server's own certificate. The TLS handshake proves
 * that the client holds the matching private key, which never leaves the plugin process,
 * so only the plugin itself gets in this way; every other client is verified as before
 * (chain to the configured roots). No root is added: nothing signed by the plugin's key
 * is trusted, only the one certificate. Keeps the context's verify mode.
 */
void accept_own_certificate(asio::ssl::context& ctx);

/** Where and how the self-check connects. */
struct self_check_target
{
    /** `unix:PATH` or `127.0.0.1:PORT`. */
    std::string target;
    /** The plugin's own key pair as client certificate, its certificate as root; unset:
        plaintext. */
    std::optional<tls::client_config> tls;
    /** grpc.health.v1 is served: require SERVING for "plugin". Without it, any answer of
        the server (UNIMPLEMENTED) proves that gRPC is served. */
    bool health_enabled = true;
};

/**
 * Connects to `t.target` as a host would (TLS when configured), calls
 * `grpc.health.v1.Health/Check{service: "plugin"}` and closes the connection. Completes
 * with true when the answer is SERVING (or, without health, any gRPC status from the
 * server), false on any failure or after `timeout`.
 *
 * Cancellation: terminal cancellation aborts the connect.
 */
asio::awaitable<bool> check_serving(self_check_target t, std::chrono::milliseconds timeout);
} // namespace rpcplugin::plugin::detail
