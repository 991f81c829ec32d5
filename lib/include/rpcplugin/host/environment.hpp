#pragma once

/**
 * @file
 * The environment a go-plugin host gives the plugin it launches: the pure part of
 * launching.
 */

#include <cstdint>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace rpcplugin::host
{
/** What goes into the plugin's environment. */
struct environment_options
{
    /** The magic cookie; not set when the key is empty. */
    std::string cookie_key;
    std::string cookie_value; ///< The cookie's value.
    /** `PLUGIN_PROTOCOL_VERSIONS`, written ascending, comma-separated, no spaces. */
    std::set<int> protocol_versions;
    /** `PLUGIN_MIN_PORT` / `PLUGIN_MAX_PORT` (go-plugin's defaults). */
    std::uint16_t min_port = 10000;
    std::uint16_t max_port = 25000; ///< `PLUGIN_MAX_PORT`.
    /** `PLUGIN_CLIENT_CERT`: the host's AutoMTLS certificate, PEM; empty: AutoMTLS off. */
    std::string client_cert_pem;
    /** `PLUGIN_UNIX_SOCKET_DIR`; not set when empty. */
    std::string unix_socket_dir;
    /** Extra `KEY=VALUE` entries from the caller; they override inherited ones. */
    std::vector<std::string> extra;
    /** go-plugin's `SkipHostEnv`: start from an empty environment instead of the host's. */
    bool skip_host_env = false;
};

/**
 * Builds the plugin's environment from the host's (`host_env`, `KEY=VALUE` entries) like
 * go-plugin's `Client.Start`: the host's entries (unless `skip_host_env`), then `extra`,
 * then the cookie, `PLUGIN_MIN_PORT`, `PLUGIN_MAX_PORT`, `PLUGIN_PROTOCOL_VERSIONS`,
 * `PLUGIN_CLIENT_CERT` (AutoMTLS only) and `PLUGIN_UNIX_SOCKET_DIR` (when set).
 *
 * Every key appears once: a later entry replaces an earlier one with the same key (Go's
 * `exec.Cmd` keeps the last too). The variables the host manages are removed from what
 * is inherited even when not set here, so a host that itself runs under a go-plugin host
 * never passes on its own `PLUGIN_CLIENT_CERT` or cookie. Entries without `=` are dropped.
 */
std::vector<std::string> make_plugin_environment(const std::vector<std::string>& host_env,
                                                 const environment_options& opts);

/** The current process's environment (`environ`), as `KEY=VALUE` entries. */
std::vector<std::string> current_environment();
} // namespace rpcplugin::host
