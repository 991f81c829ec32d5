#include "rpcplugin/plugin/stdio_buffer.hpp"

#include <doctest/doctest.h>

#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace plugin = rpcplugin::plugin;
using plugin::stdio_channel;

namespace
{
constexpr auto out = stdio_channel::stdout_channel;
constexpr auto err = stdio_channel::stderr_channel;

std::vector<plugin::stdio_chunk> pop_all(plugin::stdio_buffer& b)
{
    std::vector<plugin::stdio_chunk> chunks;
    while (auto c = b.pop())
        chunks.push_back(std::move(*c));
    return chunks;
}

std::string pattern(std::size_t n, std::size_t seed = 0)
{
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i)
        s[i] = static_cast<char>('a' + (i + seed) % 26);
    return s;
}
} // namespace

TEST_SUITE("plugin")
{
    TEST_CASE("stdio_buffer starts empty")
    {
        plugin::stdio_buffer b;
        CHECK(b.empty());
        CHECK_FALSE(b.pop());
        CHECK(b.size(out) == 0);
        CHECK(b.dropped(err) == 0);
        CHECK(b.limit() == plugin::stdio_buffer::default_limit);
        CHECK(plugin::stdio_buffer(0).limit() == 1);
    }

    TEST_CASE("stdio_buffer returns small writes of one channel as one chunk")
    {
        plugin::stdio_buffer b;
        CHECK(b.append(out, "hello ") == 0);
        CHECK(b.append(out, "world\n") == 0);
        b.append(out, "");
        CHECK(b.size(out) == 12);
        CHECK(pop_all(b) == std::vector<plugin::stdio_chunk>{{out, "hello world\n"}});
        CHECK(b.empty());
    }

    TEST_CASE("stdio_buffer cuts output into chunks of at most 1 KiB")
    {
        plugin::stdio_buffer b;
        const std::string text = pattern(5000);
        b.append(err, text);
        const auto chunks = pop_all(b);
        REQUIRE(chunks.size() == 5);
        std::string joined;
        for (std::size_t i = 0; i < chunks.size(); ++i)
        {
            CAPTURE(i);
            CHECK(chunks[i].channel == err);
            CHECK(chunks[i].data.size() == (i < 4 ? 1024u : 904u));
            joined += chunks[i].data;
        }
        CHECK(joined == text);
    }

    TEST_CASE("stdio_buffer fills the last chunk before starting the next")
    {
        plugin::stdio_buffer b;
        b.append(out, pattern(1000));
        b.append(out, pattern(100, 7));
        const auto chunks = pop_all(b);
        REQUIRE(chunks.size() == 2);
        CHECK(chunks[0].data == pattern(1000) + pattern(24, 7));
        CHECK(chunks[1].data == pattern(100, 7).substr(24));
    }

    TEST_CASE("stdio_buffer keeps the arrival order across channels and never mixes them")
    {
        plugin::stdio_buffer b;
        b.append(out, "o1 ");
        b.append(err, "e1 ");
        b.append(out, "o2 ");
        b.append(out, "o3 ");
        b.append(err, "e2 ");
        CHECK(pop_all(b) == std::vector<plugin::stdio_chunk>{
                                {out, "o1 "}, {err, "e1 "}, {out, "o2 o3 "}, {err, "e2 "}});
    }

    TEST_CASE("stdio_buffer drops the oldest bytes of a full channel and counts them")
    {
        plugin::stdio_buffer b(10);
        CHECK(b.append(out, "0123456789") == 0);
        CHECK(b.append(err, "ERR") == 0);
        CHECK(b.append(out, "ab") == 2);
        CHECK(b.size(out) == 10);
        CHECK(b.dropped(out) == 2);
        CHECK(b.dropped(err) == 0);
        CHECK(pop_all(b) ==
              std::vector<plugin::stdio_chunk>{{out, "23456789"}, {err, "ERR"}, {out, "ab"}});
    }

    TEST_CASE("stdio_buffer keeps the tail of a write longer than the limit")
    {
        plugin::stdio_buffer b(4);
        b.append(out, "xy");
        CHECK(b.append(out, "abcdefgh") == 6); // "xy" and "abcd"
        CHECK(b.dropped(out) == 6);
        CHECK(pop_all(b) == std::vector<plugin::stdio_chunk>{{out, "efgh"}});
    }

    TEST_CASE("stdio_buffer frees room as chunks are popped")
    {
        plugin::stdio_buffer b(2048);
        b.append(out, pattern(2048));
        REQUIRE(b.pop());
        CHECK(b.size(out) == 1024);
        CHECK(b.append(out, pattern(1024)) == 0);
        CHECK(b.append(out, "z") == 1);
    }

    TEST_CASE("stdio_buffer delivers a contiguous suffix of each channel under random load")
    {
        std::mt19937 rng(12345);
        for (std::size_t limit : {1u, 100u, 1024u, 1500u, 5000u})
        {
            CAPTURE(limit);
            plugin::stdio_buffer b(limit);
            std::string written[2], received[2];
            std::uint64_t dropped[2] = {0, 0};
            for (int step = 0; step < 2000; ++step)
            {
                const int ch = static_cast<int>(rng() % 2);
                const auto channel = ch == 0 ? out : err;
                if (rng() % 4 == 0)
                {
                    if (auto c = b.pop())
                    {
                        CHECK(!c->data.empty());
                        CHECK(c->data.size() <= plugin::stdio_buffer::max_chunk);
                        received[c->channel == err ? 1 : 0] += c->data;
                    }
                    continue;
                }
                const std::string text = pattern(rng() % 3000, written[ch].size());
                written[ch] += text;
                dropped[ch] += b.append(channel, text);
                CHECK(b.size(channel) <= limit);
            }
            for (auto& c : pop_all(b))
                received[c.channel == err ? 1 : 0] += c.data;
            for (int ch = 0; ch < 2; ++ch)
            {
                CAPTURE(ch);
                const auto channel = ch == 0 ? out : err;
                CHECK(b.dropped(channel) == dropped[ch]);
                CHECK(received[ch].size() + dropped[ch] == written[ch].size());
                // What arrived is the written text with some runs left out; the last
                // `limit` bytes written are always there.
                const std::size_t tail = std::min<std::size_t>(limit, written[ch].size());
                CHECK(received[ch].size() >= tail);
                CHECK(received[ch].substr(received[ch].size() - tail) ==
                      written[ch].substr(written[ch].size() - tail));
            }
        }
    }

    TEST_CASE("stdio_channel prints its name")
    {
        std::ostringstream os;
        os << out << ' ' << err;
        CHECK(os.str() == "stdout stderr");
    }
}
