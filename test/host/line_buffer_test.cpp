#include "rpcplugin/host/line_buffer.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

using rpcplugin::host::line_buffer;

namespace
{
std::vector<std::string> drain(line_buffer& b)
{
    std::vector<std::string> out;
    while (auto l = b.next_line())
        out.push_back(*l);
    return out;
}
} // namespace

TEST_SUITE("host")
{
    TEST_CASE("line_buffer hands out complete lines and keeps the rest")
    {
        line_buffer b;
        b.append("1|1|unix|/tmp/p|grpc|\nsecond");
        CHECK(drain(b) == std::vector<std::string>{"1|1|unix|/tmp/p|grpc|"});
        CHECK(b.pending() == 6);
        b.append(" line\r\nthird\n");
        CHECK(drain(b) == std::vector<std::string>{"second line", "third"});
        CHECK_FALSE(b.finish().has_value());
    }

    TEST_CASE("line_buffer loses nothing whatever the split")
    {
        const std::string text = "alpha\nbeta\r\n\ngamma\ndelta-without-newline";
        const std::vector<std::string> want{"alpha", "beta", "", "gamma", "delta-without-newline"};
        for (std::size_t chunk = 1; chunk <= text.size(); ++chunk)
        {
            line_buffer b;
            std::vector<std::string> got;
            for (std::size_t i = 0; i < text.size(); i += chunk)
            {
                b.append(std::string_view(text).substr(i, chunk));
                for (auto& l : drain(b))
                    got.push_back(l);
            }
            if (auto rest = b.finish())
                got.push_back(*rest);
            CHECK_MESSAGE(got == want, "chunk size " << chunk);
        }
    }

    TEST_CASE("line_buffer splits over-long lines into max-size pieces")
    {
        line_buffer b(4);
        b.append("abcdefghij\nxy\n");
        CHECK(drain(b) == std::vector<std::string>{"abcd", "efgh", "ij", "xy"});
        line_buffer exact(4);
        exact.append("abcd\n");
        CHECK(drain(exact) == std::vector<std::string>{"abcd"});
    }

    TEST_CASE("line_buffer finish returns the unterminated rest once")
    {
        line_buffer b;
        b.append("partial\r");
        CHECK(drain(b).empty());
        CHECK(b.finish() == std::optional<std::string>("partial"));
        CHECK_FALSE(b.finish().has_value());
        CHECK(b.pending() == 0);
    }
}
