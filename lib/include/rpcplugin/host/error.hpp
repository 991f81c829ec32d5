#pragma once

/**
 * @file
 * Error codes of the host module (category "rpcplugin.host") and `failure`, the error of
 * launching, connecting to and stopping a plugin: a precise code plus the full message.
 */

#include <boost/assert/source_location.hpp>
#include <boost/system/error_code.hpp>

#include <iosfwd>
#include <string>
#include <string_view>
#include <type_traits>

namespace rpcplugin::host
{
/** Why a plugin could not be launched, reached or understood. */
enum class errc
{
    /** The configuration is unusable (no protocol version offered, empty command, ...). */
    invalid_config = 1,
    /** The executable could not be started (not found, not executable: see the message). */
    spawn_failed,
    /** The plugin exited before it printed a usable handshake line. */
    plugin_exited,
    /** No handshake line within the start timeout. */
    start_timeout,
    /** The first stdout line is not a handshake line (fewer than 4 `|`-separated fields). */
    unrecognized_handshake,
    /** Field 1 is not go-plugin's core protocol version 1. */
    core_version_mismatch,
    /** Field 2 is not one of the app protocol versions the host offered. */
    app_version_mismatch,
    /** Field 3/4: the network is not `unix` or `tcp`, or the address is malformed. */
    bad_address,
    /** Field 5: the protocol is not allowed (the host speaks `grpc` only by default). */
    unsupported_protocol,
    /** Field 6 is not unpadded base64 of a DER certificate. */
    bad_server_certificate,
    /** AutoMTLS is on but the plugin sent no server certificate (field 6 empty). */
    missing_server_certificate,
    /** The host asked for gRPC broker multiplexing and the plugin does not support it. */
    multiplex_unsupported,
    /** The host's AutoMTLS certificate or TLS context could not be made. */
    tls_setup_failed,
    /** The gRPC connection to the plugin could not be made (the message says why). */
    connect_failed,
    /** A reattach description (`TF_REATTACH_PROVIDERS` JSON) is malformed. */
    bad_reattach_config,
    /** The client was shut down. */
    shut_down,
};

/** The enumerator's name (`plugin_exited`), for scripts and JSON output. */
std::string_view to_string(errc e) noexcept;

/** The category of `errc`, named "rpcplugin.host". */
const boost::system::error_category& host_category() noexcept;

/** Makes an error_code from an `errc`. */
inline boost::system::error_code make_error_code(errc e) noexcept
{
    return {static_cast<int>(e), host_category()};
}

/**
 * The error of the host's operations: `code` for programs (an `errc`), `message` for
 * people (with the underlying cause, e.g. the socket or TLS error of a failed connect). For a handshake failure the message
 * is go-plugin's wording; when the plugin wrote to stderr, the last lines follow it.
 */
struct failure
{
    /** What failed, as an `errc` (or the transport's error). */
    boost::system::error_code code;
    /** One or more sentences, without a trailing newline. */
    std::string message;

    /** Member-wise equality. */
    friend bool operator==(const failure&, const failure&) = default;
};

/** Writes `message` (or the code's message when `message` is empty). */
std::ostream& operator<<(std::ostream& os, const failure& f);

/** Called by `result<T, failure>::value()`: throws `boost::system::system_error`. */
[[noreturn]] void throw_exception_from_error(const failure& f, const boost::source_location& loc);
} // namespace rpcplugin::host

// Lets `rpcplugin::host::errc` convert implicitly to `boost::system::error_code`.
// Hidden from the API reference: Doxygen cannot place a specialization declared by its
// qualified name.
/// @cond
template <>
struct boost::system::is_error_code_enum<rpcplugin::host::errc> : std::true_type
{
};
/// @endcond
