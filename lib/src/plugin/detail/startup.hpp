#pragma once

/**
 * @file
 * Steps of `plugin::server::serve` that need no coroutine: the TLS contexts and the main
 * listener.
 */

#include "rpcplugin/asio.hpp"
#include "rpcplugin/log.hpp"
#include "rpcplugin/plugin/config.hpp"
#include "rpcplugin/tls/context.hpp"
#include "rpcplugin/transport/listener.hpp"

#include <boost/asio/ssl/context.hpp>
#include <boost/system/result.hpp>

#include <memory>
#include <optional>
#include <string>
#include <sys/types.h>

namespace rpcplugin::plugin::detail
{
/** The TLS side of the plugin. All empty for plaintext. */
struct tls_setup
{
    /** Server context of the main and brokered listeners (nullptr: plaintext). */
    std::shared_ptr<asio::ssl::context> server;
    /** Client settings for dialing the host's brokered servers. */
    std::optional<tls::client_config> broker_client;
    /** Client settings of the readiness self-check (the plugin's own key pair). */
    std::optional<tls::client_config> self_client;
    /** The server certificate, DER, for field 6 of the handshake line. */
    std::string certificate_der;
};

/**
 * Builds the TLS side from `cfg`: the operator's key pair (`PLUGIN_SERVER_CERT`/`_KEY`) or
 * a fresh AutoMTLS certificate when the host sent `PLUGIN_CLIENT_CERT`; client
 * certificates are required and verified against `PLUGIN_CLIENT_ROOT_CERTS` or
 * `PLUGIN_CLIENT_CERT`, and the plugin's own certificate is accepted too (for the
 * self-check, see `accept_own_certificate`). Plaintext when `cfg.tls_enabled()` is false.
 * Errors name the variable at fault.
 */
boost::system::result<tls_setup, wire::error> make_tls(const config& cfg);

/**
 * The group of `PLUGIN_UNIX_SOCKET_GROUP`: `nullopt` for an empty value, the gid of a
 * group name, or a decimal gid (0 to 2^32-2, used as is, as go-plugin does). An unknown
 * name or an out-of-range number is a `wire::error` naming the variable.
 */
boost::system::result<std::optional<gid_t>, wire::error> resolve_group(const std::string& group);

/** The main listener and how the handshake line names it. */
struct main_listener
{
    std::unique_ptr<transport::listener> listener;
    /** `unix` or `tcp`. */
    std::string network;
    /** The socket path, or `127.0.0.1:PORT`. */
    std::string address;
};

/**
 * Binds the first of `cfg.transports` that works: a Unix socket `plugin<random>` in
 * `socket_dir` with `unix_options` (mode, group), or TCP on 127.0.0.1 on the first free
 * port of `cfg.ports`. Each failure is logged at `warn` on `log`; the result is the last
 * error when none works.
 */
boost::system::result<main_listener>
open_main_listener(asio::any_io_executor ex, const config& cfg, const std::string& socket_dir,
                   const transport::listen_options& unix_options, const logger& log);

/** A fresh socket path `DIR/plugin<9 random digits>`, like go-plugin's. */
std::string random_socket_path(const std::string& dir);

/** `$TMPDIR`, or `/tmp` when it is unset or empty. */
std::string temp_dir();
} // namespace rpcplugin::plugin::detail
