#pragma once

/**
 * @file
 * The HTTP/2 limits a server session advertises and enforces.
 */

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace rpcplugin::http2
{
/** The code observers see in `on_close` when the whole connection ended (EOF, I/O or
    protocol error) rather than the stream; it is not an HTTP/2 error code. */
inline constexpr std::uint32_t connection_lost = 0xffffffffu;

/** HTTP/2 settings and protection limits of one connection. Defaults match gRPC's or are stricter. */
struct settings
{
    /** SETTINGS_MAX_CONCURRENT_STREAMS advertised (and enforced by nghttp2). */
    std::uint32_t max_concurrent_streams = 100;
    /** SETTINGS_MAX_HEADER_LIST_SIZE advertised and enforced (name + value + 32 per field). */
    std::uint32_t max_header_list_size = 16 * 1024;
    /** SETTINGS_INITIAL_WINDOW_SIZE: per-stream receive window. */
    std::uint32_t stream_window = 1024 * 1024;
    /** Connection-level receive window. */
    std::uint32_t connection_window = 8 * 1024 * 1024;
    /** Maximum CONTINUATION frames after a HEADERS frame (CVE-2024-28182). */
    std::size_t max_continuations = 8;
    /** RST_STREAM rate limit: burst (CVE-2023-44487). */
    std::uint64_t reset_burst = 1000;
    /** RST_STREAM rate limit: tokens per second. */
    std::uint64_t reset_rate = 33;
    /** Deadline from accept for the TLS handshake (if any), the client preface and the
        first SETTINGS frame. */
    std::chrono::milliseconds preface_timeout{20000};
    /** Bytes gathered into one socket write. */
    std::size_t write_batch = 64 * 1024;
    /** Size of the socket read buffer. */
    std::size_t read_buffer = 64 * 1024;
};
} // namespace rpcplugin::http2
