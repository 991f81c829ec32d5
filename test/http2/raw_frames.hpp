#pragma once

/**
 * @file
 * Raw HTTP/2 frames for tests that must send what a well-behaved client never would
 * (nghttp2's client session refuses to), and a parser of what the server sends back.
 */

#include "rpcplugin/http2/server_session.hpp"

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rpcplugin::test::raw
{
using bytes = std::vector<unsigned char>;

inline void append(bytes& out, const bytes& more)
{
    out.insert(out.end(), more.begin(), more.end());
}

/** One frame: 9-byte header and payload. */
inline bytes frame(std::uint8_t type, std::uint8_t flags, std::uint32_t id,
                   std::string_view payload = {})
{
    auto len = static_cast<std::uint32_t>(payload.size());
    bytes f = {static_cast<unsigned char>(len >> 16),
               static_cast<unsigned char>(len >> 8),
               static_cast<unsigned char>(len),
               type,
               flags,
               static_cast<unsigned char>(id >> 24),
               static_cast<unsigned char>(id >> 16),
               static_cast<unsigned char>(id >> 8),
               static_cast<unsigned char>(id)};
    f.resize(9 + payload.size());
    if (!payload.empty())
        std::memcpy(f.data() + 9, payload.data(), payload.size());
    return f;
}

inline std::string be32(std::uint32_t v)
{
    return {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
            static_cast<char>(v)};
}

/** Client preface plus a SETTINGS frame with `settings` (id, value) pairs. */
inline bytes preface(std::vector<std::pair<std::uint16_t, std::uint32_t>> settings = {})
{
    bytes out(NGHTTP2_CLIENT_MAGIC, NGHTTP2_CLIENT_MAGIC + NGHTTP2_CLIENT_MAGIC_LEN);
    std::string payload;
    for (auto [id, value] : settings)
    {
        payload += static_cast<char>(id >> 8);
        payload += static_cast<char>(id);
        payload += be32(value);
    }
    append(out, frame(NGHTTP2_SETTINGS, 0, 0, payload));
    return out;
}

/** HPACK block of literal fields without indexing (names and values < 127 bytes). */
inline std::string hpack(const std::vector<http2::header>& fields)
{
    std::string out;
    for (const auto& f : fields)
    {
        out += '\0';
        out += static_cast<char>(f.name.size());
        out += f.name;
        out += static_cast<char>(f.value.size());
        out += f.value;
    }
    return out;
}

inline std::vector<http2::header> grpc_request(std::string path = "/pkg.Svc/Method")
{
    return {{":method", "POST"},
            {":scheme", "http"},
            {":authority", "localhost"},
            {":path", std::move(path)},
            {"content-type", "application/grpc"},
            {"te", "trailers"}};
}

/** A complete request HEADERS frame on stream `id`. */
inline bytes headers(std::uint32_t id, bool end_stream = true)
{
    return frame(NGHTTP2_HEADERS,
                 NGHTTP2_FLAG_END_HEADERS | (end_stream ? NGHTTP2_FLAG_END_STREAM : 0), id,
                 hpack(grpc_request()));
}

inline bytes rst(std::uint32_t id, std::uint32_t code = NGHTTP2_CANCEL)
{
    return frame(NGHTTP2_RST_STREAM, 0, id, be32(code));
}

inline bytes ping(std::string_view opaque = "12345678", bool ack = false)
{
    return frame(NGHTTP2_PING, ack ? NGHTTP2_FLAG_ACK : 0, 0, opaque);
}

inline bytes window_update(std::uint32_t id, std::uint32_t increment)
{
    return frame(NGHTTP2_WINDOW_UPDATE, 0, id, be32(increment));
}

/** A frame the server sent. */
struct sent_frame
{
    std::uint8_t type = 0;
    std::uint8_t flags = 0;
    std::uint32_t stream_id = 0;
    std::string payload;

    bool has(std::uint8_t f) const noexcept { return (flags & f) != 0; }
    std::uint32_t u32(std::size_t at) const
    {
        if (payload.size() < at + 4)
            throw std::runtime_error("frame payload too short");
        auto b = [&](std::size_t i)
        { return static_cast<std::uint32_t>(static_cast<unsigned char>(payload[at + i])); };
        return (b(0) << 24) | (b(1) << 16) | (b(2) << 8) | b(3);
    }
    /** RST_STREAM's code. */
    std::uint32_t rst_code() const { return u32(0); }
    /** GOAWAY's last stream id, code and debug data. */
    std::uint32_t goaway_last_id() const { return u32(0) & 0x7fffffffu; }
    std::uint32_t goaway_code() const { return u32(4); }
    std::string goaway_debug() const { return payload.substr(8); }
};

/** Splits the server's output into frames (it starts with frames: no preface). */
inline std::vector<sent_frame> parse(const bytes& data)
{
    std::vector<sent_frame> out;
    std::size_t i = 0;
    while (i + 9 <= data.size())
    {
        std::size_t len =
            (std::size_t{data[i]} << 16) | (std::size_t{data[i + 1]} << 8) | data[i + 2];
        if (i + 9 + len > data.size())
            break;
        sent_frame f;
        f.type = data[i + 3];
        f.flags = data[i + 4];
        f.stream_id = ((std::uint32_t{data[i + 5]} & 0x7f) << 24) |
                      (std::uint32_t{data[i + 6]} << 16) | (std::uint32_t{data[i + 7]} << 8) |
                      data[i + 8];
        f.payload.assign(reinterpret_cast<const char*>(data.data()) + i + 9, len);
        out.push_back(std::move(f));
        i += 9 + len;
    }
    if (i != data.size())
        throw std::runtime_error("server output ends inside a frame");
    return out;
}

/** Everything the session has to send now, as frames. */
inline std::vector<sent_frame> drain(http2::server_session& s)
{
    bytes out;
    for (;;)
    {
        std::size_t before = out.size();
        if (auto ec = s.produce(out, 1 << 20); ec && out.size() == before)
            break;
        if (out.size() == before)
            break;
    }
    return parse(out);
}

/** The frames of one type in `frames`. */
inline std::vector<sent_frame> of_type(const std::vector<sent_frame>& frames, std::uint8_t type)
{
    std::vector<sent_frame> out;
    for (const auto& f : frames)
        if (f.type == type)
            out.push_back(f);
    return out;
}
} // namespace rpcplugin::test::raw
