#pragma once

/**
 * @file
 * Error codes of the HTTP/2 layer: libnghttp2's negative error values as
 * `error_code`s (category "nghttp2"), and the layer's own conditions
 * (category "rpcplugin.http2").
 */

#include <boost/system/error_code.hpp>

#include <cstdint>
#include <type_traits>

namespace rpcplugin::http2
{
/** HTTP/2 error codes (RFC 9113 section 7) as RST_STREAM and GOAWAY carry them. */
namespace code
{
inline constexpr std::uint32_t no_error = 0x0;            ///< NO_ERROR.
inline constexpr std::uint32_t protocol_error = 0x1;      ///< PROTOCOL_ERROR.
inline constexpr std::uint32_t internal_error = 0x2;      ///< INTERNAL_ERROR.
inline constexpr std::uint32_t flow_control_error = 0x3;  ///< FLOW_CONTROL_ERROR.
inline constexpr std::uint32_t settings_timeout = 0x4;    ///< SETTINGS_TIMEOUT.
inline constexpr std::uint32_t stream_closed = 0x5;       ///< STREAM_CLOSED.
inline constexpr std::uint32_t frame_size_error = 0x6;    ///< FRAME_SIZE_ERROR.
inline constexpr std::uint32_t refused_stream = 0x7;      ///< REFUSED_STREAM (not processed).
inline constexpr std::uint32_t cancel = 0x8;              ///< CANCEL.
inline constexpr std::uint32_t compression_error = 0x9;   ///< COMPRESSION_ERROR.
inline constexpr std::uint32_t connect_error = 0xa;       ///< CONNECT_ERROR.
inline constexpr std::uint32_t enhance_your_calm = 0xb;   ///< ENHANCE_YOUR_CALM.
inline constexpr std::uint32_t inadequate_security = 0xc; ///< INADEQUATE_SECURITY.
inline constexpr std::uint32_t http_1_1_required = 0xd;   ///< HTTP_1_1_REQUIRED.
} // namespace code

/** The category of libnghttp2's `NGHTTP2_ERR_*` values; `message()` is `nghttp2_strerror`. */
const boost::system::error_category& nghttp2_category() noexcept;

/** An error_code holding a negative `NGHTTP2_ERR_*` value. */
inline boost::system::error_code make_nghttp2_error(int lib_error) noexcept
{
    return {lib_error, nghttp2_category()};
}

/** Conditions of the HTTP/2 layer itself. */
enum class errc
{
    /** A callback failed in our code (an exception or allocation failure); the connection ends. */
    internal = 1,
    /** The stream was closed (reset, or the connection ended) before the operation finished. */
    stream_closed,
    /** The peer sent too many invalid or suspicious frames (GOAWAY ENHANCE_YOUR_CALM). */
    too_many_glitches,
    /** The peer pinged too often without data in between (GOAWAY ENHANCE_YOUR_CALM,
        "too_many_pings"). */
    too_many_pings,
    /** The peer sent HEADERS on a stream id it had skipped (GOAWAY PROTOCOL_ERROR). */
    stream_id_skipped,
    /** No byte could be written for `write_stall_timeout` while some were waiting. */
    write_stalled,
    /** A keepalive PING was not acknowledged within `keepalive_timeout`. */
    keepalive_timeout,
    /** The connection outlived `max_connection_age` plus its grace. */
    connection_too_old,
};

/** The category of `errc`, named "rpcplugin.http2". */
const boost::system::error_category& http2_category() noexcept;

/** Makes an error_code from an `errc`. */
inline boost::system::error_code make_error_code(errc e) noexcept
{
    return {static_cast<int>(e), http2_category()};
}
} // namespace rpcplugin::http2

// Lets `rpcplugin::http2::errc` convert implicitly to `boost::system::error_code`.
// Hidden from the API reference: Doxygen cannot place a specialization declared by its
// qualified name.
/// @cond
template <>
struct boost::system::is_error_code_enum<rpcplugin::http2::errc> : std::true_type
{
};
/// @endcond
