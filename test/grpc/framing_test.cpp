#include "rpcplugin/grpc/framing.hpp"

#include "rpcplugin/grpc/error.hpp"

#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <set>
#include <span>
#include <string>
#include <vector>

namespace grpc = rpcplugin::grpc;

namespace
{

using bytes = std::vector<unsigned char>;

std::string pattern(std::size_t size, unsigned seed)
{
    std::string out(size, '\0');
    std::uint32_t state = seed * 2654435761u + 1;
    for (char& c : out)
    {
        state = state * 1664525u + 1013904223u;
        c = static_cast<char>(state >> 24);
    }
    return out;
}

/** Concatenates the framed `messages` and records the offsets between messages. */
bytes frame_all(const std::vector<grpc::frame>& messages, std::set<std::size_t>* boundaries)
{
    bytes out;
    if (boundaries != nullptr)
    {
        boundaries->insert(0);
    }
    for (const grpc::frame& m : messages)
    {
        const std::string framed = grpc::encode_frame(m.compressed, m.payload);
        out.insert(out.end(), framed.begin(), framed.end());
        if (boundaries != nullptr)
        {
            boundaries->insert(out.size());
        }
    }
    return out;
}

std::span<const unsigned char> slice(const bytes& b, std::size_t from, std::size_t to)
{
    return std::span<const unsigned char>(b).subspan(from, to - from);
}

/** Pops every queued message and checks it against `expected`. */
bool drained_equal(grpc::reader& r, const std::vector<grpc::frame>& expected)
{
    if (r.queued() != expected.size())
    {
        return false;
    }
    for (const grpc::frame& e : expected)
    {
        const grpc::frame got = r.pop();
        if (got.compressed != e.compressed || got.payload != e.payload)
        {
            return false;
        }
    }
    return !r.has_message();
}

bytes prefix(unsigned char flag, std::uint32_t length)
{
    bytes out(grpc::prefix_size);
    grpc::encode_prefix(out.data(), false, length);
    out[0] = flag;
    return out;
}

} // namespace

TEST_SUITE("grpc")
{
    TEST_CASE("encode_prefix writes the flag and a big-endian length")
    {
        unsigned char out[5] = {};
        grpc::encode_prefix(out, true, 0x01020304u);
        CHECK(out[0] == 1);
        CHECK(out[1] == 0x01);
        CHECK(out[2] == 0x02);
        CHECK(out[3] == 0x03);
        CHECK(out[4] == 0x04);

        grpc::encode_prefix(out, false, 0xFFFFFFFFu);
        CHECK(out[0] == 0);
        CHECK(out[1] == 0xFF);
        CHECK(out[4] == 0xFF);

        const std::string framed = grpc::encode_frame(false, "hi");
        CHECK(framed == std::string("\x00\x00\x00\x00\x02hi", 7));
    }

    TEST_CASE("a reader reads several messages fed at once")
    {
        const std::vector<grpc::frame> messages{{false, "a"}, {true, "compressed"}, {false, ""}};
        const bytes wire = frame_all(messages, nullptr);

        grpc::reader r(1024);
        CHECK(r.idle());
        CHECK(r.max_message_size() == 1024);
        CHECK_FALSE(r.feed(wire));
        CHECK(r.idle());
        CHECK(r.last_declared_length() == 0);
        CHECK(drained_equal(r, messages));
    }

    TEST_CASE("a reader reassembles messages split at every byte offset")
    {
        const std::vector<grpc::frame> messages{
            {false, ""}, {false, "hello"}, {true, pattern(70'000, 1)},
            {false, ""}, {true, "xyz"},    {false, pattern(300, 2)},
            {false, ""},
        };
        std::set<std::size_t> boundaries;
        const bytes wire = frame_all(messages, &boundaries);

        bool all_ok = true;
        for (std::size_t split = 0; split <= wire.size(); ++split)
        {
            grpc::reader r(70'000);
            const auto ec1 = r.feed(slice(wire, 0, split));
            const bool idle_between = r.idle();
            const auto ec2 = r.feed(slice(wire, split, wire.size()));
            const bool ok = !ec1 && !ec2 && idle_between == boundaries.contains(split) &&
                            r.idle() && drained_equal(r, messages);
            if (!ok)
            {
                CAPTURE(split);
                CHECK(ok);
                all_ok = false;
                break;
            }
        }
        CHECK(all_ok);
    }

    TEST_CASE("a reader reassembles a small buffer split at every pair of offsets")
    {
        const std::vector<grpc::frame> messages{
            {false, "ab"}, {false, ""}, {true, "cdefg"}, {false, "h"}};
        std::set<std::size_t> boundaries;
        const bytes wire = frame_all(messages, &boundaries);

        for (std::size_t i = 0; i <= wire.size(); ++i)
        {
            for (std::size_t j = i; j <= wire.size(); ++j)
            {
                CAPTURE(i);
                CAPTURE(j);
                grpc::reader r(16);
                CHECK_FALSE(r.feed(slice(wire, 0, i)));
                CHECK(r.idle() == boundaries.contains(i));
                CHECK_FALSE(r.feed(slice(wire, i, j)));
                CHECK(r.idle() == boundaries.contains(j));
                CHECK_FALSE(r.feed(slice(wire, j, wire.size())));
                CHECK(r.idle());
                CHECK(drained_equal(r, messages));
            }
        }
    }

    TEST_CASE("a reader reads a stream fed one byte at a time")
    {
        const std::vector<grpc::frame> messages{
            {false, pattern(1000, 3)}, {true, ""}, {false, "tail"}};
        const bytes wire = frame_all(messages, nullptr);

        grpc::reader r(1000);
        for (const unsigned char b : wire)
        {
            const unsigned char one[1] = {b};
            REQUIRE_FALSE(r.feed(one));
        }
        CHECK(r.idle());
        CHECK(drained_equal(r, messages));
    }

    TEST_CASE("messages can be popped while later ones are still arriving")
    {
        const std::vector<grpc::frame> messages{{false, "first"}, {false, "second"}};
        const bytes wire = frame_all(messages, nullptr);

        grpc::reader r(64);
        CHECK_FALSE(r.feed(slice(wire, 0, 16)));
        REQUIRE(r.queued() == 1);
        CHECK(r.pop().payload == "first");
        CHECK_FALSE(r.has_message());
        CHECK_FALSE(r.idle());
        CHECK(r.last_declared_length() == 6);
        CHECK_FALSE(r.feed(slice(wire, 16, wire.size())));
        REQUIRE(r.queued() == 1);
        CHECK(r.pop().payload == "second");
        CHECK(r.idle());
    }

    TEST_CASE("a message of exactly the maximum size is accepted")
    {
        const std::vector<grpc::frame> messages{{false, pattern(100, 4)}};
        grpc::reader r(100);
        CHECK_FALSE(r.feed(frame_all(messages, nullptr)));
        CHECK(drained_equal(r, messages));
    }

    TEST_CASE("an oversize length is rejected from the prefix, before any payload arrives")
    {
        SUBCASE("prefix fed at once")
        {
            grpc::reader r(100);
            CHECK(r.feed(prefix(0, 101)) == grpc::errc::message_too_large);
            CHECK(r.last_declared_length() == 101);
            CHECK_FALSE(r.idle());
            CHECK(r.error() == grpc::errc::message_too_large);
        }
        SUBCASE("prefix fed byte by byte")
        {
            grpc::reader r(4u * 1024 * 1024);
            const bytes p = prefix(1, 0xFFFFFFFFu);
            for (std::size_t i = 0; i + 1 < p.size(); ++i)
            {
                CHECK_FALSE(r.feed(slice(p, i, i + 1)));
            }
            CHECK(r.feed(slice(p, 4, 5)) == grpc::errc::message_too_large);
            CHECK(r.last_declared_length() == 0xFFFFFFFFu);
        }
        SUBCASE("the failure is sticky and earlier messages survive")
        {
            grpc::reader r(8);
            bytes wire = frame_all({{false, "ok"}}, nullptr);
            const bytes p = prefix(0, 9);
            wire.insert(wire.end(), p.begin(), p.end());
            wire.insert(wire.end(), 9, 'x');
            CHECK(r.feed(wire) == grpc::errc::message_too_large);
            CHECK(r.feed(frame_all({{false, "later"}}, nullptr)) == grpc::errc::message_too_large);
            REQUIRE(r.queued() == 1);
            CHECK(r.pop().payload == "ok");
            CHECK_FALSE(r.has_message());
        }
    }

    TEST_CASE("a reader's memory follows what arrived, not the declared length")
    {
        grpc::reader r(4u * 1024 * 1024);
        CHECK(r.buffered_bytes() == 0);
        CHECK_FALSE(r.feed(prefix(0, 4u * 1024 * 1024)));
        CHECK(r.buffered_bytes() == 0); // a length prefix alone reserves nothing
        const std::string body = pattern(4u * 1024 * 1024, 7);
        const bytes all(body.begin(), body.end());
        CHECK_FALSE(r.feed(slice(all, 0, 1)));
        CHECK(r.buffered_bytes() > 0);
        CHECK(r.buffered_bytes() <= 16 * 1024);
        CHECK_FALSE(r.feed(slice(all, 1, 100000)));
        CHECK(r.buffered_bytes() >= 100000);
        CHECK(r.buffered_bytes() <= 100000 + 16 * 1024);
        CHECK_FALSE(r.feed(slice(all, 100000, all.size())));
        REQUIRE(r.queued() == 1);
        CHECK(r.buffered_bytes() == body.size());
        CHECK(r.pop().payload == body);
        CHECK(r.buffered_bytes() == 0);
        CHECK(r.idle());
    }

    TEST_CASE("a flag byte other than 0 or 1 is a compression error")
    {
        SUBCASE("alone, reported as soon as the flag arrives")
        {
            for (const unsigned char flag : {2, 0x80, 0xFF})
            {
                grpc::reader r(100);
                const unsigned char one[1] = {flag};
                CHECK(r.feed(one) == grpc::errc::bad_compression);
                CHECK(r.feed(prefix(0, 0)) == grpc::errc::bad_compression);
                CHECK_FALSE(r.has_message());
                CHECK_FALSE(r.idle());
            }
        }
        SUBCASE("after a valid message in the same chunk")
        {
            grpc::reader r(100);
            bytes wire = frame_all({{true, "z"}}, nullptr);
            const bytes p = prefix(2, 1);
            wire.insert(wire.end(), p.begin(), p.end());
            wire.push_back('y');
            CHECK(r.feed(wire) == grpc::errc::bad_compression);
            REQUIRE(r.queued() == 1);
            const grpc::frame f = r.pop();
            CHECK(f.compressed);
            CHECK(f.payload == "z");
        }
    }

    TEST_CASE("a reader with no data is idle and feeding nothing changes nothing")
    {
        grpc::reader r(0);
        CHECK_FALSE(r.feed({}));
        CHECK(r.idle());
        CHECK(r.queued() == 0);
        CHECK_FALSE(r.feed(prefix(0, 0)));
        CHECK(r.queued() == 1);
        CHECK(r.pop().payload.empty());
        CHECK(r.feed(prefix(0, 1)) == grpc::errc::message_too_large);
    }

    TEST_CASE("a reader keeps many queued messages in order while they are popped")
    {
        grpc::reader r(1000);
        std::size_t next_in = 0, next_out = 0;
        auto feed = [&](std::size_t n)
        {
            bytes wire;
            for (std::size_t i = 0; i < n; ++i, ++next_in)
            {
                const std::string payload = std::to_string(next_in);
                const bytes one = frame_all({{false, payload}}, nullptr);
                wire.insert(wire.end(), one.begin(), one.end());
            }
            REQUIRE_FALSE(r.feed(wire));
        };
        auto pop = [&](std::size_t n)
        {
            for (std::size_t i = 0; i < n; ++i, ++next_out)
            {
                REQUIRE(r.has_message());
                CHECK(r.pop().payload == std::to_string(next_out));
            }
        };
        feed(100);
        pop(60);
        CHECK(r.queued() == 40);
        feed(30);
        pop(17);
        feed(1);
        CHECK(r.queued() == 54);
        pop(54);
        CHECK_FALSE(r.has_message());
        CHECK(r.idle());
    }
}
