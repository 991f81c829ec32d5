#pragma once

/**
 * @file
 * How a host launches and talks to a plugin: go-plugin's `ClientConfig`, for C++.
 */

#include "rpcplugin/grpc/channel_options.hpp"
#include "rpcplugin/host/backoff.hpp"
#include "rpcplugin/host/log_line.hpp"
#include "rpcplugin/log.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace rpcplugin::host
{
/** Where a piece of the plugin's output came from. */
enum class output_source
{
    /** A line the plugin wrote to its stdout after the handshake line (go-plugin drops these). */
    stdout_pipe,
    /** A chunk of the plugin's stdout sent over `plugin.GRPCStdio/StreamStdio`. */
    grpc_stdout,
    /** A chunk of the plugin's stderr sent over `plugin.GRPCStdio/StreamStdio`. */
    grpc_stderr,
};

/** `stdout`, `grpc-stdout` or `grpc-stderr`. */
std::string_view to_string(output_source s) noexcept;

/** The host's settings. The defaults are go-plugin's, with AutoMTLS on. */
struct client_config
{
    /** The magic cookie (go-plugin's `HandshakeConfig`); no variable when the key is empty. */
    std::string magic_cookie_key;
    std::string magic_cookie_value; ///< The cookie's value.
    /** The app protocol versions offered (`PLUGIN_PROTOCOL_VERSIONS`); must not be empty. */
    std::set<int> protocol_versions = {1};
    /** Protocols accepted in the handshake (go-plugin's `AllowedProtocols`). */
    std::vector<std::string> allowed_protocols = {"grpc"};
    /**
     * AutoMTLS: a fresh ECDSA P-521 certificate goes to the plugin in `PLUGIN_CLIENT_CERT`;
     * the plugin's certificate from the handshake line is the only one trusted, for
     * `localhost`; the host presents its own. Off: plaintext (unless the plugin sends a
     * certificate anyway: then TLS verifying it, without a client certificate).
     */
    bool auto_mtls = true;
    /** How long the plugin may take to print its handshake line (go-plugin: 1 minute). */
    std::chrono::milliseconds start_timeout{60000};
    /** `PLUGIN_MIN_PORT` / `PLUGIN_MAX_PORT`. */
    std::uint16_t min_port = 10000;
    std::uint16_t max_port = 25000; ///< `PLUGIN_MAX_PORT`.
    /** `PLUGIN_UNIX_SOCKET_DIR` (go-plugin >= 1.5); not set when empty. */
    std::string unix_socket_dir;
    /** Extra `KEY=VALUE` environment entries. */
    std::vector<std::string> env;
    /** Start the plugin with only go-plugin's variables and `env` (go-plugin's `SkipHostEnv`). */
    bool skip_host_env = false;
    /** Give the plugin the host's stdin (go-plugin does); else `/dev/null`. */
    bool inherit_stdin = true;
    /** After `Controller.Shutdown`, how long to wait for the exit before SIGKILL (go-plugin: 2 s).
     */
    std::chrono::milliseconds kill_grace{2000};
    /** Retries of the first connection (a plugin's socket not accepting yet). */
    backoff_policy connect_backoff;
    /** Limits and timeouts of the connection to the plugin (TLS is set by the client). */
    grpc::channel_options channel;
    /** How long a broker `dial` waits for the plugin's ConnInfo (go-plugin: 5 s). */
    std::chrono::milliseconds broker_dial_timeout{5000};
    /** Read `plugin.GRPCStdio/StreamStdio` (go-plugin >= 1.2 plugins serve it). */
    bool consume_stdio = true;
    /** The host's own log (module "rpcplugin.host"), and the default target of `on_log`. */
    logger log;
    /** The module name under which plugin stderr lines are logged by default. */
    std::string plugin_log_name = "plugin";
    /**
     * Receives each stderr line of the plugin, understood (see `log_line_parser`). Default:
     * `log` at the record's level, module `plugin_log_name` (or `name.@module`), message
     * `record.text()`. Runs on the client's executor.
     */
    std::function<void(const plugin_log_record&)> on_log;
    /**
     * Receives the plugin's output other than the handshake line and stderr: stdout lines
     * after the handshake (without `\n`) and GRPCStdio chunks. Default: `log` at debug.
     * Runs on the client's executor.
     */
    std::function<void(output_source, std::string_view)> on_output;
};
} // namespace rpcplugin::host
