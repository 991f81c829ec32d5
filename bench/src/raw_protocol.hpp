#pragma once

/**
 * @file
 * The raw-socket baseline's wire format, shared by rpcplugin-bench and raw-echo-server.
 *
 * The client opens with an 8-byte hello: "RPB", the mode byte ('p' ping-pong or 'b' bulk),
 * then the message size as a big-endian uint32. A message is that uint32 length followed
 * by the payload. Ping-pong: the client sends a message, the server sends it back, and so
 * on. Bulk: the server sends messages of the given size without pause until the client
 * closes the connection.
 */

#include <cstddef>
#include <cstdint>

namespace bench::raw
{
inline constexpr std::size_t hello_size = 8;
inline constexpr char mode_pingpong = 'p';
inline constexpr char mode_bulk = 'b';
/** Largest message size accepted (16 MiB). */
inline constexpr std::uint32_t max_size = 16u << 20;

inline void put_u32(unsigned char* p, std::uint32_t v) noexcept
{
    p[0] = static_cast<unsigned char>(v >> 24);
    p[1] = static_cast<unsigned char>(v >> 16);
    p[2] = static_cast<unsigned char>(v >> 8);
    p[3] = static_cast<unsigned char>(v);
}

inline std::uint32_t get_u32(const unsigned char* p) noexcept
{
    return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) |
           std::uint32_t{p[3]};
}

/** Fills a hello. */
inline void make_hello(unsigned char out[hello_size], char mode, std::uint32_t size) noexcept
{
    out[0] = 'R';
    out[1] = 'P';
    out[2] = 'B';
    out[3] = static_cast<unsigned char>(mode);
    put_u32(out + 4, size);
}
} // namespace bench::raw
