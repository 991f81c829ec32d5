#include "rpcplugin/plugin/port_range.hpp"

#include <doctest/doctest.h>

#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace plugin = rpcplugin::plugin;

static_assert(std::forward_iterator<plugin::port_candidates::iterator>);

namespace
{
std::vector<std::uint16_t> candidates(plugin::port_range r)
{
    std::vector<std::uint16_t> out;
    for (std::uint16_t p : plugin::port_candidates(r))
        out.push_back(p);
    return out;
}

plugin::port_range parsed(std::optional<std::string_view> min, std::optional<std::string_view> max)
{
    auto r = plugin::parse_port_range(min, max);
    REQUIRE_MESSAGE(r.has_value(), r.error());
    return *r;
}

rpcplugin::wire::error refused(std::optional<std::string_view> min,
                               std::optional<std::string_view> max)
{
    auto r = plugin::parse_port_range(min, max);
    REQUIRE(r.has_error());
    return r.error();
}
} // namespace

TEST_SUITE("plugin")
{
    TEST_CASE("parse_port_range without variables lets the system assign a port")
    {
        CHECK(parsed(std::nullopt, std::nullopt) == plugin::port_range{0, 0});
        CHECK(parsed("", "") == plugin::port_range{0, 0});
        CHECK(parsed("0", "0") == plugin::port_range{0, 0});
        CHECK(plugin::port_range{}.system_assigned());
        CHECK(candidates({}) == std::vector<std::uint16_t>{0});
    }

    TEST_CASE("parse_port_range reads go-plugin's bounds")
    {
        const auto r = parsed("10000", "25000");
        CHECK(r == plugin::port_range{10000, 25000});
        CHECK_FALSE(r.system_assigned());
        CHECK(plugin::port_candidates(r).size() == 15001);
        CHECK(parsed("65535", "65535") == plugin::port_range{65535, 65535});
        CHECK(parsed("00080", "80") == plugin::port_range{80, 80});
        CHECK(parsed("0000000080", "000000000000000000000065535") == plugin::port_range{80, 65535});
    }

    TEST_CASE("parse_port_range fills in a missing bound")
    {
        CHECK(parsed("20000", std::nullopt) == plugin::port_range{20000, 65535});
        CHECK(parsed("20000", "") == plugin::port_range{20000, 65535});
        CHECK(parsed(std::nullopt, "3000") == plugin::port_range{1, 3000});
    }

    TEST_CASE("parse_port_range refuses min > max like go-plugin")
    {
        const auto e = refused("25000", "10000");
        CHECK(e.variable == "PLUGIN_MIN_PORT");
        CHECK(e.message == "value of 25000 is greater than PLUGIN_MAX_PORT value of 10000");
        CHECK(e.to_string() ==
              "PLUGIN_MIN_PORT: value of 25000 is greater than PLUGIN_MAX_PORT value of 10000");
    }

    TEST_CASE("parse_port_range names the variable holding garbage")
    {
        for (std::string_view bad : {"abc", "-1", "+5", " 5", "5 ", "65536", "123456",
                                     "99999999999999999999999", "1e3", "0x10", "5.0"})
        {
            CAPTURE(bad);
            const auto min_error = refused(bad, "30000");
            CHECK(min_error.variable == "PLUGIN_MIN_PORT");
            CHECK(min_error.message ==
                  "\"" + std::string(bad) + "\" is not a port number (0-65535)");
            const auto max_error = refused("10000", bad);
            CHECK(max_error.variable == "PLUGIN_MAX_PORT");
        }
    }

    TEST_CASE("port_candidates lists the range in order")
    {
        CHECK(candidates({10000, 10003}) == std::vector<std::uint16_t>{10000, 10001, 10002, 10003});
        CHECK(candidates({7, 7}) == std::vector<std::uint16_t>{7});
        CHECK(candidates({65534, 65535}) == std::vector<std::uint16_t>{65534, 65535});
        CHECK(plugin::port_candidates({1, 65535}).size() == 65535);
    }

    TEST_CASE("port_candidates never yields port 0 for a real range")
    {
        CHECK(candidates({0, 3}) == std::vector<std::uint16_t>{1, 2, 3});
        CHECK(candidates({0, 1}) == std::vector<std::uint16_t>{1});
    }

    TEST_CASE("port_candidates of an invalid range is empty")
    {
        CHECK(candidates({5, 3}).empty());
        CHECK(plugin::port_candidates({5, 3}).size() == 0);
    }

    TEST_CASE("port_candidates iterators compare and post-increment")
    {
        const plugin::port_candidates c({100, 101});
        auto it = c.begin();
        CHECK(*it++ == 100);
        CHECK(*it == 101);
        CHECK(++it == c.end());
        CHECK(std::distance(c.begin(), c.end()) == 2);
    }
}
