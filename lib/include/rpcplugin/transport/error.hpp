#pragma once

/**
 * @file
 * Error codes of the transport module (category "rpcplugin.transport").
 */

#include <boost/system/error_code.hpp>

#include <type_traits>

namespace rpcplugin::transport
{
/** Transport failures that are not plain socket errors. */
enum class errc
{
    /** An endpoint string is neither `unix:PATH` nor `HOST:PORT`. */
    bad_endpoint = 1,
    /** A Unix socket path is longer than `sockaddr_un` allows. */
    path_too_long,
    /** The socket path exists and another process is accepting on it. */
    address_in_use,
    /** The socket path exists and is not a socket; it is never removed. */
    not_a_socket,
    /** A TLS listener received bytes that are not a TLS handshake. */
    tls_required,
    /** A plaintext listener received a TLS handshake. */
    unexpected_tls,
    /** The peer did not negotiate ALPN "h2". */
    alpn_not_h2,
    /** An HTTP/1.x request reached an HTTP/2-only listener. */
    http1_request,
    /** The TLS handshake, the HTTP/2 preface or the first SETTINGS did not arrive in time. */
    handshake_timeout,
};

/** The category of `errc`, named "rpcplugin.transport". */
const boost::system::error_category& transport_category() noexcept;

/** Makes an error_code from an `errc`. */
inline boost::system::error_code make_error_code(errc e) noexcept
{
    return {static_cast<int>(e), transport_category()};
}
} // namespace rpcplugin::transport

// Lets `rpcplugin::transport::errc` convert implicitly to `boost::system::error_code`.
// Hidden from the API reference: Doxygen cannot place a specialization declared by its
// qualified name.
/// @cond
template <>
struct boost::system::is_error_code_enum<rpcplugin::transport::errc> : std::true_type
{
};
/// @endcond
