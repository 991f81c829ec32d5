#pragma once

/**
 * @file
 * The one error of the go-plugin wire vocabulary (`wire::error`): the configuration read
 * from the environment, the handshake line, AutoMTLS certificates, reattach descriptions,
 * and the host's launching and connecting built on them. A precise code (`wire::errc`,
 * category "rpcplugin.wire") for programs, a message for people, and, for a setting, the
 * variable at fault.
 */

#include <boost/assert/source_location.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <iosfwd>
#include <string>
#include <string_view>
#include <type_traits>

namespace rpcplugin::wire
{
/** Why a setting, a handshake, a certificate or a plugin could not be used. */
enum class errc
{
    /** A setting is unusable (no protocol version offered, empty command, bad variable, ...). */
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
    /** A certificate or key could not be made or read (PEM, DER, key pair). */
    bad_certificate,
    /** A handshake line could not be formatted (bad network, `|` in a field, ...). */
    bad_handshake_line,
};

/** The enumerator's name (`plugin_exited`), for scripts and JSON output. */
std::string_view to_string(errc e) noexcept;

/** The category of `errc`, named "rpcplugin.wire". */
const boost::system::error_category& wire_category() noexcept;

/** Makes an error_code from an `errc`. */
inline boost::system::error_code make_error_code(errc e) noexcept
{
    return {static_cast<int>(e), wire_category()};
}

/**
 * The error of the wire vocabulary and of the host's operations. Returned in
 * `boost::system::result<T, error>`.
 */
struct error
{
    /** An `errc` for programs. */
    boost::system::error_code code;
    /**
     * One or more sentences without a trailing period or newline, go-plugin's wording where
     * the host refuses a handshake line (with the underlying cause: the socket or TLS error
     * of a failed connect, OpenSSL's reason for a certificate).
     */
    std::string message;
    /**
     * For a setting: the environment variable at fault (`PLUGIN_MIN_PORT`), or, for a
     * setting only code can give, the `config` member (`protocol_versions`). Else empty.
     */
    std::string variable;

    /** `variable + ": " + message`, or `message` without a variable (the code's message
        when that is empty too). */
    std::string to_string() const;

    /** Member-wise equality. */
    friend bool operator==(const error&, const error&) = default;
};

/** An error with `code` and `message`. */
error make_error(errc code, std::string message);

/** An invalid setting: `errc::invalid_config` naming `variable`. */
error setting_error(std::string variable, std::string message);

/** Writes `to_string()`. */
std::ostream& operator<<(std::ostream& os, const error& e);

/**
 * What `result<T, error>::value()` throws: a `boost::system::system_error` with the error's
 * `code` whose `what()` is exactly `to_string()`, and the error itself.
 */
class error_exception : public boost::system::system_error
{
public:
    /** Carries `e`; `code()` is `e.code`. */
    explicit error_exception(error e);

    /** `to_string()` of the error. */
    const char* what() const noexcept override;

    /** The error. */
    const wire::error& get() const noexcept { return error_; }

private:
    wire::error error_;
    std::string text_;
};

/** Called by `result<T, error>::value()` on an error: throws `error_exception`. */
[[noreturn]] void throw_exception_from_error(const error& e, const boost::source_location& loc);
} // namespace rpcplugin::wire

// Lets `rpcplugin::wire::errc` convert implicitly to `boost::system::error_code`.
// Hidden from the API reference: Doxygen cannot place a specialization declared by its
// qualified name.
/// @cond
template <>
struct boost::system::is_error_code_enum<rpcplugin::wire::errc> : std::true_type
{
};
/// @endcond
