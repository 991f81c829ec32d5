#pragma once

// The tables below are the source of the README table: keep them unwrapped.
// clang-format off
/**
 * @file
 * Every setting of the plugin runtime in one struct, filled from code and then from the
 * environment by `load_config`.
 *
 * @par Environment variables
 * An absent or empty variable keeps the value from code. Values starting with `file://`
 * are replaced by the contents of the named file (`file:///etc/x.pem` reads `/etc/x.pem`);
 * a value read from a file is trimmed of surrounding whitespace, except PEM values, which
 * are kept as they are. Booleans are `true/yes/1/on` or `false/no/0/off` (any case).
 *
 * Set by the go-plugin host:
 *
 * | Variable | Type | Default | Member |
 * |---|---|---|---|
 * | `PLUGIN_PROTOCOL_VERSIONS` | comma-separated non-negative integers, any order | absent: no versions offered | `host_protocol_versions` |
 * | `PLUGIN_MIN_PORT` | port 0-65535 | absent (see `port_range`) | `ports.min` |
 * | `PLUGIN_MAX_PORT` | port 0-65535, >= `PLUGIN_MIN_PORT` | absent (see `port_range`) | `ports.max` |
 * | `PLUGIN_CLIENT_CERT` | PEM certificate(s) | none: no AutoMTLS | `client_cert_pem` |
 * | `PLUGIN_UNIX_SOCKET_DIR` | directory | system temp dir | `unix_socket_dir` |
 * | `PLUGIN_UNIX_SOCKET_GROUP` | group name or numeric gid | none: socket mode 0600 | `unix_socket_group` |
 * | `PLUGIN_MULTIPLEX_GRPC` | any non-empty value | absent | `multiplex_grpc_requested` |
 *
 * Set by the operator (names of the Python library pyvider-rpcplugin):
 *
 * | Variable | Type | Default | Member |
 * |---|---|---|---|
 * | `PLUGIN_MAGIC_COOKIE_KEY` | variable name | from code | `magic_cookie_key` |
 * | `PLUGIN_MAGIC_COOKIE_VALUE` | string | from code | `magic_cookie_value` |
 * | `PLUGIN_SERVER_TRANSPORTS` | comma-separated `unix`, `tcp`, in order of preference | `unix,tcp` | `transports` |
 * | `PLUGIN_SERVER_CERT` | PEM certificate chain, leaf first | none | `server_cert_pem` |
 * | `PLUGIN_SERVER_KEY` | PEM private key of the leaf | none | `server_key_pem` |
 * | `PLUGIN_CLIENT_ROOT_CERTS` | PEM certificates | none | `client_root_certs_pem` |
 * | `PLUGIN_HEALTH_SERVICE_ENABLED` | boolean | `true` | `health_enabled` |
 * | `PLUGIN_RATE_LIMIT_ENABLED` | boolean | `false` | `rate_limit_enabled` |
 * | `PLUGIN_RATE_LIMIT_REQUESTS_PER_SECOND` | decimal > 0 | `100` | `rate_limit_requests_per_second` |
 * | `PLUGIN_RATE_LIMIT_BURST_CAPACITY` | integer 1-1000000000 | `200` | `rate_limit_burst_capacity` |
 * | `PLUGIN_SHUTDOWN_FILE_PATH` | file path | none | `shutdown_file_path` |
 * | `PLUGIN_GRPC_GRACE_PERIOD` | decimal seconds 0-3600 | `0.5` | `grace_period` |
 * | `PLUGIN_LOG_LEVEL` | `trace`, `debug`, `info`, `warn`/`warning`, `error`/`critical`, `off` (any case) | `info` | `log_level` |
 * | `PLUGIN_CAPTURE_STDIO` | boolean | `true` | `capture_stdio` |
 * | `PLUGIN_DEBUG` | boolean | `false` | `debug` |
 * | `PLUGIN_REATTACH_NAME` | string | the program's name | `reattach_name` |
 *
 * Settings only code gives: `protocol_versions` (the versions the plugin serves),
 * `stdio_buffer_limit`, `reattach_variable`.
 */
// clang-format on

#include "rpcplugin/log.hpp"
#include "rpcplugin/plugin/port_range.hpp"
#include "rpcplugin/wire/error.hpp"
#include "rpcplugin/wire/handshake.hpp"

#include <boost/system/result.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace rpcplugin::plugin
{
/** Looks up an environment variable; `nullopt` when it is not set. */
using env_lookup = wire::env_lookup;

/** Reads a whole file (for `file://` values); an error code when it cannot. */
using file_reader = std::function<boost::system::result<std::string>(const std::string& path)>;

/** The process environment through `getenv`. */
env_lookup process_environment();

/** Reads the file at `path` into a string (binary mode); the errno of the failure otherwise. */
boost::system::result<std::string> read_file(const std::string& path);

/** A listener kind for the plugin's main socket. */
enum class transport_kind
{
    unix_socket, ///< `unix`: a Unix domain socket (go-plugin's choice on Linux and macOS)
    tcp,         ///< `tcp`: TCP on 127.0.0.1 (go-plugin's choice on Windows)
};

/** `unix` or `tcp`. */
std::string_view to_string(transport_kind kind) noexcept;

/** Writes `to_string(kind)`. */
std::ostream& operator<<(std::ostream& os, transport_kind kind);

/** The settings of the plugin runtime. Defaults are the documented defaults. */
struct config
{
    // -- Handshake ------------------------------------------------------------------------

    /**
     * Name of the environment variable the host sets to `magic_cookie_value`
     * (Terraform: `TF_PLUGIN_MAGIC_COOKIE`). `PLUGIN_MAGIC_COOKIE_KEY`. Empty in code and
     * environment is go-plugin's "Misconfigured ServeConfig" error.
     */
    std::string magic_cookie_key;
    /** Expected value of the cookie variable. `PLUGIN_MAGIC_COOKIE_VALUE`. */
    std::string magic_cookie_value;
    /**
     * App protocol versions the plugin serves; at least one, each >= 0. Code only
     * (`protocol_versions`). Default `{1}`.
     */
    std::set<int> protocol_versions = {1};
    /** Versions the host offers (`PLUGIN_PROTOCOL_VERSIONS`); empty when it sent none. */
    std::set<int> host_protocol_versions;

    // -- Listener -------------------------------------------------------------------------

    /**
     * Listener kinds in order of preference; the runtime uses the first. Non-empty, no
     * duplicates. `PLUGIN_SERVER_TRANSPORTS`. Default `unix,tcp`.
     */
    std::vector<transport_kind> transports = {transport_kind::unix_socket, transport_kind::tcp};
    /** TCP ports to try (`PLUGIN_MIN_PORT`, `PLUGIN_MAX_PORT`). Default system-assigned. */
    port_range ports;
    /**
     * Directory for every Unix socket the plugin creates, main and broker
     * (`PLUGIN_UNIX_SOCKET_DIR`); empty for the system temp dir. Must not contain `|` or a
     * line break (it ends up in the handshake line).
     */
    std::string unix_socket_dir;
    /**
     * Group to own the Unix sockets, which then get mode 0660 instead of 0600
     * (`PLUGIN_UNIX_SOCKET_GROUP`): a group name or a numeric gid; empty for none.
     */
    std::string unix_socket_group;
    /**
     * The host asked for gRPC broker multiplexing (`PLUGIN_MULTIPLEX_GRPC` set to any
     * non-empty value, as go-plugin tests it). Decides whether the handshake line gets its
     * 7th field, not whether multiplexing is used.
     */
    bool multiplex_grpc_requested = false;

    // -- TLS ------------------------------------------------------------------------------

    /**
     * The host's certificate for AutoMTLS (`PLUGIN_CLIENT_CERT`), PEM; empty: the host did
     * not ask for TLS. When set, the plugin serves TLS with a fresh certificate (unless
     * `server_cert_pem` is set), requires and verifies a client certificate against it, and
     * puts its certificate in the handshake line.
     */
    std::string client_cert_pem;
    /** Operator-provided server certificate chain, PEM, leaf first (`PLUGIN_SERVER_CERT`). */
    std::string server_cert_pem;
    /** Private key of `server_cert_pem`, PEM (`PLUGIN_SERVER_KEY`); set both or neither. */
    std::string server_key_pem;
    /**
     * Operator-provided roots for client certificates (`PLUGIN_CLIENT_ROOT_CERTS`), PEM;
     * clients must then present a certificate that chains to one of them.
     */
    std::string client_root_certs_pem;

    // -- Services -------------------------------------------------------------------------

    /** Serve `grpc.health.v1.Health` (`PLUGIN_HEALTH_SERVICE_ENABLED`); go-plugin's Ping needs it.
     */
    bool health_enabled = true;
    /** Limit the request rate with a token bucket (`PLUGIN_RATE_LIMIT_ENABLED`). */
    bool rate_limit_enabled = false;
    /** Token refill rate, finite and > 0 (`PLUGIN_RATE_LIMIT_REQUESTS_PER_SECOND`). */
    double rate_limit_requests_per_second = 100.0;
    /** Bucket size, 1 to 10^9; the bucket starts full (`PLUGIN_RATE_LIMIT_BURST_CAPACITY`). */
    std::uint32_t rate_limit_burst_capacity = 200;

    // -- Lifecycle ------------------------------------------------------------------------

    /**
     * A file whose appearance triggers a graceful shutdown; checked every second, removed
     * when seen (`PLUGIN_SHUTDOWN_FILE_PATH`). Empty: not watched.
     */
    std::string shutdown_file_path;
    /**
     * How long calls in flight may run on after a shutdown request before they are
     * cancelled (`PLUGIN_GRPC_GRACE_PERIOD`, decimal seconds, 0 to 3600). go-plugin hosts
     * SIGKILL 2 s after Shutdown, so keep it well below that.
     */
    std::chrono::milliseconds grace_period{500};
    /** Minimum level of the runtime's hclog lines on stderr (`PLUGIN_LOG_LEVEL`). */
    rpcplugin::log_level log_level = rpcplugin::log_level::info;

    // -- Output ---------------------------------------------------------------------------

    /**
     * After the handshake line, capture file descriptors 1 and 2 (the process and its
     * children) and stream them to the host over plugin.GRPCStdio, as go-plugin does
     * (`PLUGIN_CAPTURE_STDIO`). The runtime's own log keeps going to the original stderr.
     * Off: output goes to the host's pipes directly (a go-plugin host discards stdout
     * after the handshake line and logs stderr lines). Never in debug mode.
     */
    bool capture_stdio = true;
    /**
     * Captured bytes kept per channel until a host streams them; beyond, the oldest are
     * dropped with a warning that counts them. Code only; at least 1. Default 1 MiB.
     */
    std::size_t stdio_buffer_limit = 1024 * 1024;

    // -- Debug mode -----------------------------------------------------------------------

    /**
     * Debug (reattach) mode (`PLUGIN_DEBUG`; `has_debug_flag` reads `-debug`/`--debug`):
     * the plugin is started by hand, not by a host. No magic cookie is needed, it serves
     * plaintext on a Unix socket whatever the TLS and transport settings, prints on stdout
     * how to attach (`format_reattach_instructions`) instead of the handshake line, does not
     * capture stdio, and stops on SIGINT as well as SIGTERM (and on Controller.Shutdown or
     * the shutdown file, as always).
     */
    bool debug = false;
    /**
     * The name under which the reattach JSON lists the plugin (`PLUGIN_REATTACH_NAME`);
     * Terraform wants the provider address (`registry.terraform.io/acme/kv`). Empty: the
     * program's name.
     */
    std::string reattach_name;
    /** The variable the debug-mode instructions tell to set. Code only. */
    std::string reattach_variable = "TF_REATTACH_PROVIDERS";

    /** True when the plugin serves TLS: the host sent its certificate or an operator certificate is
     * set. */
    bool tls_enabled() const noexcept
    {
        return !client_cert_pem.empty() || !server_cert_pem.empty();
    }
};

/**
 * Returns `defaults` overridden by the environment, then validated with `validate_config`.
 * `env` is asked for each variable of the table above; `read` serves `file://` values.
 *
 * The first invalid value is returned as a `wire::error` (`wire::setting_error`) naming the
 * variable and what is wrong with it (`PLUGIN_MIN_PORT: "abc" is not a port number (0-65535)`); PEM
 * and secret values are never quoted back. A `file://` value that cannot be read names the
 * variable, the path and the system's reason.
 */
boost::system::result<config, wire::error>
load_config(const config& defaults, const env_lookup& env, const file_reader& read = read_file);

/**
 * Checks the settings that must hold whatever their source: served versions non-empty and
 * non-negative; transports non-empty without duplicates; `ports.min <= ports.max`; socket
 * dir without `|` or line breaks; rate limit finite and > 0, burst 1-10^9; grace period
 * 0-3600 s; `PLUGIN_CLIENT_CERT` and `PLUGIN_CLIENT_ROOT_CERTS` parse as PEM certificates;
 * `PLUGIN_SERVER_CERT` and `PLUGIN_SERVER_KEY` both set or both empty, parse, and match.
 * The cookie is not checked here (`check_cookie` does).
 */
boost::system::result<void, wire::error> validate_config(const config& c);

/** Parses a boolean as the table above (`true/yes/1/on`, `false/no/0/off`, any case). */
std::optional<bool> parse_bool(std::string_view text) noexcept;

/** Parses a log level name as the table above. */
std::optional<rpcplugin::log_level> parse_log_level(std::string_view text) noexcept;
} // namespace rpcplugin::plugin
