#include "rpcplugin/plugin/hclog.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <regex>
#include <string>
#include <vector>

namespace plugin = rpcplugin::plugin;
using rpcplugin::log_level;
using rpcplugin::logger;

using namespace std::chrono;
using namespace std::chrono_literals;

namespace
{
// 2024-03-05T13:07:09.012345678Z
system_clock::time_point sample_time()
{
    return system_clock::time_point{sys_days{2024y / March / 5} + 13h + 7min + 9s + 12345us +
                                    678ns};
}
} // namespace

TEST_SUITE("plugin")
{
    TEST_CASE("format_hclog_timestamp writes Go's RFC 3339 layout with six fractional digits")
    {
        CHECK(plugin::format_hclog_timestamp(sample_time(), 0min) == "2024-03-05T13:07:09.012345Z");
        CHECK(plugin::format_hclog_timestamp(sample_time(), 60min) ==
              "2024-03-05T14:07:09.012345+01:00");
        CHECK(plugin::format_hclog_timestamp(sample_time(), -(5h + 30min)) ==
              "2024-03-05T07:37:09.012345-05:30");
        CHECK(plugin::format_hclog_timestamp(system_clock::time_point{}, 0min) ==
              "1970-01-01T00:00:00.000000Z");
    }

    TEST_CASE("format_hclog_timestamp truncates, crosses days with the offset, and handles 1969")
    {
        const auto t = system_clock::time_point{sys_days{2023y / December / 31} + 23h + 59min +
                                                59s + 999999us + 999ns};
        CHECK(plugin::format_hclog_timestamp(t, 0min) == "2023-12-31T23:59:59.999999Z");
        CHECK(plugin::format_hclog_timestamp(t, 1min) == "2024-01-01T00:00:59.999999+00:01");
        const auto midnight = system_clock::time_point{sys_days{2024y / March / 1} + 10min};
        CHECK(plugin::format_hclog_timestamp(midnight, -11h) == "2024-02-29T13:10:00.000000-11:00");
        CHECK(plugin::format_hclog_timestamp(system_clock::time_point{} - 1us, 0min) ==
              "1969-12-31T23:59:59.999999Z");
        CHECK(plugin::format_hclog_timestamp(system_clock::time_point{}, 14h) ==
              "1970-01-01T14:00:00.000000+14:00");
    }

    TEST_CASE("format_hclog_line writes hclog's JSON object with sorted keys")
    {
        const std::string line =
            plugin::format_hclog_line(log_level::info, "plugin", "serving",
                                      {{"b", "2"}, {"a", "1"}}, "2024-03-05T13:07:09.012345Z");
        CHECK(line == R"({"@level":"info","@message":"serving","@module":"plugin",)"
                      R"("@timestamp":"2024-03-05T13:07:09.012345Z","a":"1","b":"2"})"
                      "\n");
    }

    TEST_CASE("format_hclog_line names every level as hclog does")
    {
        const auto level_of = [](log_level l)
        {
            const std::string line = plugin::format_hclog_line(l, "", "m", {}, "T");
            return line.substr(0, line.find(','));
        };
        CHECK(level_of(log_level::trace) == R"({"@level":"trace")");
        CHECK(level_of(log_level::debug) == R"({"@level":"debug")");
        CHECK(level_of(log_level::info) == R"({"@level":"info")");
        CHECK(level_of(log_level::warn) == R"({"@level":"warn")");
        CHECK(level_of(log_level::error) == R"({"@level":"error")");
    }

    TEST_CASE("format_hclog_line leaves @module out when the module is empty")
    {
        CHECK(plugin::format_hclog_line(log_level::warn, "", "m", {}, "T") ==
              "{\"@level\":\"warn\",\"@message\":\"m\",\"@timestamp\":\"T\"}\n");
    }

    TEST_CASE("format_hclog_line orders keys by bytes, as Go's encoder does")
    {
        const std::string line = plugin::format_hclog_line(
            log_level::debug, "", "m", {{"z", "1"}, {"!", "2"}, {"A", "3"}, {"_", "4"}, {"", "5"}},
            "T");
        CHECK(line == R"({"":"5","!":"2","@level":"debug","@message":"m","@timestamp":"T",)"
                      R"("A":"3","_":"4","z":"1"})"
                      "\n");
    }

    TEST_CASE("format_hclog_line keeps the reserved keys and renames colliding fields")
    {
        const std::string line = plugin::format_hclog_line(
            log_level::error, "mod", "real", {{"@message", "fake"}, {"@level", "x"}}, "T");
        CHECK(line == R"({"@level":"error","@message":"real","@module":"mod","@timestamp":"T",)"
                      R"("_@level":"x","_@message":"fake"})"
                      "\n");
    }

    TEST_CASE("format_hclog_line lets a later field with the same key win")
    {
        CHECK(plugin::format_hclog_line(log_level::info, "", "m", {{"k", "1"}, {"k", "2"}}, "T") ==
              R"({"@level":"info","@message":"m","@timestamp":"T","k":"2"})"
              "\n");
    }

    TEST_CASE("format_hclog_line escapes messages, keys and values into one line")
    {
        const std::string line = plugin::format_hclog_line(
            log_level::info, "m\"od", "two\nlines\t\x01 \xff", {{"k\n", "<v>"}}, "T");
        CHECK(line == R"({"@level":"info","@message":"two\nlines\t\u0001 \ufffd",)"
                      R"("@module":"m\"od","@timestamp":"T","k\n":"\u003cv\u003e"})"
                      "\n");
        CHECK(line.find('\n') == line.size() - 1);
    }

    TEST_CASE("hclog_sink stamps records with the injected clock and writes one line per call")
    {
        std::vector<std::string> lines;
        plugin::hclog_clock clock;
        clock.now = [] { return sample_time(); };
        clock.utc_offset = [](system_clock::time_point) { return 120min; };
        logger log(log_level::debug,
                   plugin::hclog_sink([&](std::string_view l) { lines.emplace_back(l); }, clock));

        log.log(log_level::trace, "rt", "filtered out");
        log.log(log_level::debug, "rt", "hello", {{"pid", "42"}});
        log.log(log_level::error, "", "bad");
        REQUIRE(lines.size() == 2);
        CHECK(lines[0] == R"({"@level":"debug","@message":"hello","@module":"rt",)"
                          R"("@timestamp":"2024-03-05T15:07:09.012345+02:00","pid":"42"})"
                          "\n");
        CHECK(lines[1] == R"({"@level":"error","@message":"bad",)"
                          R"("@timestamp":"2024-03-05T15:07:09.012345+02:00"})"
                          "\n");
    }

    TEST_CASE("hclog_sink drops records at level off")
    {
        int calls = 0;
        auto sink = plugin::hclog_sink([&](std::string_view) { ++calls; });
        sink(log_level::off, "m", "never", {});
        CHECK(calls == 0);
        sink(log_level::info, "m", "once", {});
        CHECK(calls == 1);
    }

    TEST_CASE("hclog_sink defaults to the system clock and the local offset")
    {
        std::string line;
        auto sink = plugin::hclog_sink([&](std::string_view l) { line = l; });
        const auto before = system_clock::now();
        sink(log_level::info, "m", "now", {});
        const auto after = system_clock::now();
        const auto minute_of = [](system_clock::time_point t)
        { return plugin::format_hclog_timestamp(t, plugin::local_utc_offset(t)).substr(0, 16); };
        const std::regex shape(
            R"re(\{"@level":"info","@message":"now","@module":"m","@timestamp":")re"
            R"re(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}(Z|[+-]\d\d:\d\d)"\}\n)re");
        CHECK(std::regex_match(line, shape));
        CHECK((line.find(minute_of(before)) != std::string::npos ||
               line.find(minute_of(after)) != std::string::npos));
    }

    TEST_CASE("local_utc_offset follows TZ")
    {
        // Without TZ the offset is the system's; with an explicit zone it is known.
        const auto t = sample_time();
        ::setenv("TZ", "UTC", 1);
        ::tzset();
        CHECK(plugin::local_utc_offset(t) == 0min);
        ::setenv("TZ", "IST-5:30", 1);
        ::tzset();
        CHECK(plugin::local_utc_offset(t) == 330min);
        ::setenv("TZ", "XYZ+3", 1);
        ::tzset();
        CHECK(plugin::local_utc_offset(t) == -180min);
        ::unsetenv("TZ");
        ::tzset();
    }
}
