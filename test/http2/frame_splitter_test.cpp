#include "http2/detail/frame_splitter.hpp"

#include <doctest/doctest.h>
#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <vector>

using rpcplugin::http2::detail::frame_header;
using rpcplugin::http2::detail::frame_splitter;

namespace
{
std::vector<unsigned char> frame(std::uint32_t len, std::uint8_t type, std::uint8_t flags,
                                 std::uint32_t id)
{
    std::vector<unsigned char> f = {static_cast<unsigned char>(len >> 16),
                                    static_cast<unsigned char>(len >> 8),
                                    static_cast<unsigned char>(len),
                                    type,
                                    flags,
                                    static_cast<unsigned char>(id >> 24),
                                    static_cast<unsigned char>(id >> 16),
                                    static_cast<unsigned char>(id >> 8),
                                    static_cast<unsigned char>(id)};
    f.resize(9 + len, 0xab);
    return f;
}

/** Splits `input` fed in pieces of `piece` bytes; returns the headers seen and the bytes
    passed on (which must equal the input). */
std::vector<frame_header> split(const std::vector<unsigned char>& input, std::size_t piece,
                                std::vector<unsigned char>& passed)
{
    frame_splitter s;
    std::vector<frame_header> headers;
    for (std::size_t off = 0; off < input.size(); off += piece)
    {
        std::span<const unsigned char> chunk(input.data() + off,
                                             std::min(piece, input.size() - off));
        std::size_t pos = 0;
        for (;;)
        {
            if (std::size_t n = s.passthrough(); n > 0)
            {
                if (pos == chunk.size())
                    break;
                n = std::min(n, chunk.size() - pos);
                passed.insert(passed.end(), chunk.begin() + static_cast<std::ptrdiff_t>(pos),
                              chunk.begin() + static_cast<std::ptrdiff_t>(pos + n));
                s.passed(n);
                pos += n;
                continue;
            }
            if (!s.header_ready())
            {
                if (pos == chunk.size())
                    break;
                pos += s.collect(chunk.subspan(pos));
                continue;
            }
            headers.push_back(s.header());
            auto hb = s.header_bytes();
            passed.insert(passed.end(), hb.begin(), hb.end());
            s.header_passed();
        }
    }
    return headers;
}
} // namespace

TEST_SUITE("http2")
{
    TEST_CASE("frame_splitter finds every frame header after the preface, however split")
    {
        std::vector<unsigned char> input(NGHTTP2_CLIENT_MAGIC, NGHTTP2_CLIENT_MAGIC + 24);
        auto add = [&](std::vector<unsigned char> f)
        { input.insert(input.end(), f.begin(), f.end()); };
        add(frame(0, NGHTTP2_SETTINGS, 0, 0));
        add(frame(8, NGHTTP2_PING, 0, 0));
        add(frame(40, NGHTTP2_HEADERS, NGHTTP2_FLAG_END_HEADERS, 1));
        add(frame(0, NGHTTP2_DATA, NGHTTP2_FLAG_END_STREAM, 1));
        add(frame(16384, NGHTTP2_DATA, 0, 3));
        add(frame(4, NGHTTP2_RST_STREAM, 0, 0x7fffffff));

        for (std::size_t piece : {std::size_t{1}, std::size_t{5}, std::size_t{9}, std::size_t{24},
                                  std::size_t{100}, input.size()})
        {
            CAPTURE(piece);
            std::vector<unsigned char> passed;
            auto h = split(input, piece, passed);
            CHECK(passed == input);
            REQUIRE(h.size() == 6);
            CHECK(h[0].type == NGHTTP2_SETTINGS);
            CHECK(h[0].length == 0);
            CHECK(h[1].type == NGHTTP2_PING);
            CHECK(h[1].length == 8);
            CHECK(h[2].type == NGHTTP2_HEADERS);
            CHECK(h[2].has(NGHTTP2_FLAG_END_HEADERS));
            CHECK(h[2].stream_id == 1);
            CHECK(h[3].has(NGHTTP2_FLAG_END_STREAM));
            CHECK(h[4].length == 16384);
            CHECK(h[4].stream_id == 3);
            CHECK(h[5].stream_id == 0x7fffffff);
        }
    }

    TEST_CASE("frame_splitter ignores the reserved bit of the stream id")
    {
        frame_splitter s(0);
        auto f = frame(0, NGHTTP2_DATA, 0, 0x80000005u);
        CHECK(s.collect(f) == 9);
        REQUIRE(s.header_ready());
        CHECK(s.header().stream_id == 5);
        s.header_passed();
        CHECK_FALSE(s.header_ready());
        CHECK(s.passthrough() == 0);
    }
}
