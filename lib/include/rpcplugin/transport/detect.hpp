#pragma once

/**
 * @file
 * Classifies the first bytes a client sends, so a listener can answer mismatches clearly.
 */

#include <span>
#include <string_view>

namespace rpcplugin::transport
{
/** What the first bytes of a connection look like. */
enum class protocol_guess
{
    /** Not enough bytes yet to tell. */
    need_more,
    /** The HTTP/2 client connection preface ("PRI * HTTP/2.0..."). */
    http2_preface,
    /** A TLS handshake record (content type 22, version 3.x). */
    tls_handshake,
    /** An HTTP/1.x request line ("GET / HTTP/1.1" and friends). */
    http1_request,
    /** Anything else. */
    unknown,
};

/** The HTTP/2 client connection preface. */
inline constexpr std::string_view http2_preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/** Classifies `data`, the first bytes received; pure and incremental (call again with more). */
protocol_guess guess_protocol(std::span<const unsigned char> data) noexcept;
} // namespace rpcplugin::transport
