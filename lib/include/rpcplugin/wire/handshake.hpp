#pragma once

/**
 * @file
 * The go-plugin handshake: the magic cookie check, app protocol version negotiation, and
 * the line the plugin prints on stdout (`CORE|APP|NETWORK|ADDR|PROTOCOL|CERT[|MUX]`), both
 * formatted (plugin side) and parsed with the host's checks (host side). Every failure is a
 * `wire::error`: a setting names its variable (`errc::invalid_config`), a refused line
 * carries the `errc` of the field at fault and go-plugin's wording.
 */

#include "rpcplugin/wire/error.hpp"

#include <boost/system/result.hpp>

#include <functional>

#include <iosfwd>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace rpcplugin::wire
{
/** Looks up an environment variable; `nullopt` when it is not set. */
using env_lookup = std::function<std::optional<std::string>(std::string_view name)>;

// -- Magic cookie -----------------------------------------------------------------------

/** Outcome of `check_cookie`. */
enum class cookie_status
{
    ok,            ///< the cookie variable holds the expected value
    misconfigured, ///< the plugin has an empty cookie key or value (a plugin bug)
    mismatch,      ///< the variable is missing or holds another value: not run by a host
};

/**
 * Compares `env(key)` with `value`, as go-plugin's `Serve` does: missing and different are
 * the same failure. An empty `key` or `value` is `misconfigured`.
 */
cookie_status check_cookie(std::string_view key, std::string_view value, const env_lookup& env);

/**
 * What to write on stderr before exiting with status 1, byte for byte go-plugin's text
 * (three lines, each ending in `\n`); empty for `ok`.
 *
 * - `mismatch`: `This binary is a plugin. These are not meant to be executed directly.`
 *   / `Please execute the program that consumes these plugins, which will`
 *   / `load any plugins automatically`
 * - `misconfigured`: `Misconfigured ServeConfig given to serve this plugin: no magic cookie`
 *   / `key or value was set. Please notify the plugin author and report` / `this as a bug.`
 */
std::string_view cookie_failure_message(cookie_status status) noexcept;

// -- Version negotiation ----------------------------------------------------------------

/**
 * Parses `PLUGIN_PROTOCOL_VERSIONS`: comma-separated non-negative decimal integers in any
 * order, spaces around an entry allowed, duplicates merged. Empty text is the empty set.
 * An empty entry, a sign, a non-digit or a value above INT_MAX is a `setting_error` naming
 * `PLUGIN_PROTOCOL_VERSIONS`. (go-plugin skips such entries with a note on stderr; a typo
 * then silently changes the negotiated version, so this is an error here.)
 */
boost::system::result<std::set<int>, error> parse_protocol_versions(std::string_view text);

/** `[5, 6]`: a version set as the warnings write it (ascending). */
std::string format_versions(const std::set<int>& versions);

/** The negotiated app protocol version. */
struct version_choice
{
    /** The version to announce in the handshake line. */
    int version = 0;
    /**
     * Empty when the host offers `version`. Otherwise a warning to log: the host offered no
     * versions, or none in common, so the oldest served version is announced and the host
     * will probably refuse it. It names both sets.
     */
    std::string warning;
};

/**
 * Picks the highest version in both `served` and `offered`; with none in common (or
 * `offered` empty: a legacy host) the lowest served version with a warning, like go-plugin.
 * `served` empty is a `setting_error` naming `protocol_versions`.
 */
boost::system::result<version_choice, error> negotiate_version(const std::set<int>& served,
                                                               const std::set<int>& offered);

// -- The handshake line -----------------------------------------------------------------

/** go-plugin's `CoreProtocolVersion`: the first field of the line. */
inline constexpr int core_protocol_version = 1;

/** The fields of the handshake line. */
struct handshake_line
{
    /** Field 1; always 1 for current hosts. */
    int core_version = core_protocol_version;
    /** Field 2: the negotiated app protocol version. */
    int app_version = 0;
    /** Field 3: `unix` or `tcp`. */
    std::string network;
    /** Field 4: the socket path for `unix`, `127.0.0.1:<port>` for `tcp`. */
    std::string address;
    /** Field 5: `grpc` (`netrpc` is Go-only). */
    std::string protocol = "grpc";
    /**
     * Field 6 decoded: the server certificate, DER; empty without AutoMTLS. Set it only when
     * the host sent `PLUGIN_CLIENT_CERT`: a newest go-plugin host without AutoMTLS panics
     * on a certificate here.
     */
    std::string server_cert_der;
    /**
     * Field 7: whether the plugin supports gRPC broker multiplexing. Present only when the
     * host set `PLUGIN_MULTIPLEX_GRPC`: older hosts split the line into at most 6 fields and
     * would glue it onto the certificate.
     */
    std::optional<bool> multiplex;

    /** Member-wise equality. */
    friend bool operator==(const handshake_line&, const handshake_line&) = default;
};

/**
 * The dial target (as `transport::parse_endpoint` reads it) of a plugin listening at
 * `address` on `network`, the pair of the handshake line and of a reattach description:
 * `unix:PATH` (`unix://PATH` for a path starting with `//`) for `unix`, the address as it is
 * (`HOST:PORT`) otherwise.
 */
std::string dial_target(std::string_view network, std::string_view address);

/** Writes the line's fields readably (for test failures). */
std::ostream& operator<<(std::ostream& os, const handshake_line& line);

/**
 * The line to print on stdout, with its `\n`, exactly as a Go plugin prints it:
 * `CORE|APP|NETWORK|ADDR|PROTOCOL|CERT` with CERT = `base64_der_nopad(server_cert_der)` or
 * empty (so a plaintext line ends in `grpc|`, like Go's, and the Python host, which wants
 * exactly 6 fields, accepts it), then `|true` or `|false` when `multiplex` is set.
 * Examples: `1|6|unix|/tmp/plugin123|grpc|\n`, `1|5|tcp|127.0.0.1:10000|grpc|MIIB...\n`,
 * `1|6|unix|/tmp/plugin123|grpc||false\n`.
 *
 * Fails (`errc::bad_handshake_line`) when a version is negative, the network is not `unix`
 * or `tcp`, the address or protocol is empty, or a text field contains `|` or a line break
 * (the host would misread the line).
 */
boost::system::result<std::string, error> format_handshake_line(const handshake_line& line);

/** What the host accepts, for `parse_handshake_line`. */
struct host_expectations
{
    /** The versions the host offered (its `VersionedPlugins` keys). */
    std::set<int> versions;
    /** Allowed protocols (go-plugin's `AllowedProtocols`; its default is netrpc only). */
    std::vector<std::string> allowed_protocols = {"grpc"};
    /** The host set `PLUGIN_MULTIPLEX_GRPC` (go-plugin's `GRPCBrokerMultiplex`). */
    bool multiplex_requested = false;
};

/**
 * Parses the plugin's first stdout line as a newest go-plugin host does (`client.go`), with
 * its error messages:
 *
 * - the text up to the first `\n` is trimmed of ASCII whitespace and split on every `|`;
 * - fewer than 4 fields: `Unrecognized remote plugin message: <line>`;
 * - field 1 not an integer: `error parsing core protocol version: strconv.Atoi: parsing
 *   "<f>": invalid syntax` (or `value out of range`); not 1: `incompatible core API version
 *   with plugin. Plugin version: <f>, Core version: 1` and go-plugin's two advice lines;
 * - field 2 not an integer: `Error parsing protocol version "<f>": strconv.Atoi: ...`; not
 *   offered: `incompatible API version with plugin. Plugin version: 7, Client versions: [5 6]`;
 * - network not `unix`/`tcp`: `unknown address type: <network>` (go-plugin prints the
 *   address there); a `tcp` address must be `host:port` with a numeric port, a `unix`
 *   address must be non-empty;
 * - field 5 (default `netrpc` when absent) not allowed:
 *   `unsupported plugin protocol "<p>". Supported: [grpc]`;
 * - field 6, when longer than 50 characters, must be unpadded standard base64
 *   (`error parsing server cert: illegal base64 data at input byte <n>`) of a DER
 *   certificate (`error parsing server cert: <reason>`); shorter is ignored, as by Go;
 * - with `multiplex_requested` and protocol `grpc`: a missing field 7 is `client requested
 *   gRPC broker multiplexing but plugin does not support the feature; for Go plugins, you
 *   will need to update the github.com/hashicorp/go-plugin dependency and recompile`; a
 *   non-boolean (Go's `strconv.ParseBool`) is `error parsing "<f>" as a boolean for gRPC
 *   broker multiplexing support`; `false` is the first sentence alone. Without
 *   `multiplex_requested`, a parseable field 7 is recorded and any other ignored.
 *
 * The error's code names the field at fault: `unrecognized_handshake`,
 * `core_version_mismatch`, `app_version_mismatch`, `bad_address`, `unsupported_protocol`,
 * `bad_server_certificate` or `multiplex_unsupported`.
 */
boost::system::result<handshake_line, error> parse_handshake_line(std::string_view text,
                                                                  const host_expectations& host);
} // namespace rpcplugin::wire
