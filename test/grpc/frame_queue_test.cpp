#include "rpcplugin/grpc/detail/frame_queue.hpp"
#include "rpcplugin/grpc/framing.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using rpcplugin::grpc::detail::frame_queue;

namespace
{
// Drains everything in chunks of `chunk` bytes.
std::string drain_all(frame_queue& q, std::size_t chunk)
{
    std::string out;
    std::vector<unsigned char> buf(chunk);
    while (!q.empty())
    {
        std::size_t n = q.drain(buf);
        REQUIRE(n > 0);
        out.append(reinterpret_cast<const char*>(buf.data()), n);
    }
    return out;
}
} // namespace

TEST_CASE("frame_queue: messages come out framed and in order, in any chunk size")
{
    for (std::size_t chunk : {1u, 3u, 7u, 1000u, 70000u})
    {
        frame_queue q;
        std::string expected;
        for (int i = 0; i < 20; ++i)
        {
            std::string payload(static_cast<std::size_t>(i * 517), static_cast<char>('a' + i));
            bool compressed = i % 3 == 0;
            expected += rpcplugin::grpc::encode_frame(compressed, payload);
            if (i % 2)
                q.push(compressed, payload);
            else
            {
                auto room = q.append(compressed, payload.size());
                REQUIRE(room.size() == payload.size());
                std::copy(payload.begin(), payload.end(), room.begin());
            }
        }
        CHECK(q.bytes() == expected.size());
        CHECK(drain_all(q, chunk) == expected);
        CHECK(q.bytes() == 0);
    }
}

TEST_CASE("frame_queue: interleaved appends and partial drains (compaction and growth)")
{
    frame_queue q;
    std::string expected, got;
    std::vector<unsigned char> buf(4000);
    for (int i = 0; i < 500; ++i)
    {
        std::string payload(static_cast<std::size_t>((i * 7919) % 9000), static_cast<char>(i));
        q.push(false, payload);
        expected += rpcplugin::grpc::encode_frame(false, payload);
        std::size_t n =
            q.drain(std::span<unsigned char>(buf.data(), static_cast<std::size_t>(i % 4000) + 1));
        got.append(reinterpret_cast<const char*>(buf.data()), n);
        CHECK(q.bytes() == expected.size() - got.size());
    }
    got += drain_all(q, 4096);
    CHECK(got == expected);
}

TEST_CASE("frame_queue: an empty payload is a bare prefix; clear drops everything")
{
    frame_queue q;
    q.push(false, "");
    CHECK(q.bytes() == 5);
    CHECK(drain_all(q, 2) == std::string(5, '\0'));
    q.push(true, "abc");
    q.clear();
    CHECK(q.empty());
    CHECK(q.bytes() == 0);
    q.push(false, "x");
    CHECK(drain_all(q, 16) == rpcplugin::grpc::encode_frame(false, "x"));
}

TEST_CASE("frame_queue: a stream kept near a high-water mark wraps around in order")
{
    // Like a streaming call: append while below the mark, drain DATA-frame sized chunks.
    frame_queue q;
    std::string expected, got;
    std::vector<unsigned char> frame(16384);
    const std::size_t high_water = 256 * 1024;
    for (int i = 0; i < 400; ++i)
    {
        while (q.bytes() <= high_water)
        {
            std::string payload(65536 - 5 + static_cast<std::size_t>(i % 7), static_cast<char>(i));
            auto room = q.append(false, payload.size());
            std::copy(payload.begin(), payload.end(), room.begin());
            expected += rpcplugin::grpc::encode_frame(false, payload);
        }
        std::size_t n = q.drain(frame);
        got.append(reinterpret_cast<const char*>(frame.data()), n);
    }
    got += drain_all(q, 16384);
    CHECK(got.size() == expected.size());
    CHECK(got == expected);
}
