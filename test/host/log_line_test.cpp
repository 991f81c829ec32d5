#include "rpcplugin/host/log_line.hpp"

#include <doctest/doctest.h>

#include <sstream>
#include <string>

using rpcplugin::log_level;
using rpcplugin::host::is_hclog_timestamp;
using rpcplugin::host::log_line_parser;
using rpcplugin::host::plugin_log_record;

TEST_SUITE("host")
{
    TEST_CASE("an hclog JSON line becomes a structured record")
    {
        log_line_parser p;
        auto r = p.parse(
            R"({"@level":"debug","@message":"put","@module":"kv","@timestamp":"2024-03-05T14:07:09.012345+01:00","key":"greeting","bytes":5,"ok":true,"ratio":0.25,"none":null,"list":[1,"a"]})");
        CHECK(r.structured);
        CHECK(r.level == log_level::debug);
        CHECK(r.message == "put");
        CHECK(r.module == "kv");
        CHECK(r.timestamp == "2024-03-05T14:07:09.012345+01:00");
        using F = std::vector<std::pair<std::string, std::string>>;
        CHECK(r.fields == F{{"bytes", "5"},
                            {"key", "greeting"},
                            {"list", "[1,\"a\"]"},
                            {"none", "null"},
                            {"ok", "true"},
                            {"ratio", "0.25"}});
        CHECK(r.text() ==
              R"(put bytes=5 key=greeting list="[1,\"a\"]" none=null ok=true ratio=0.25)");
    }

    TEST_CASE("hclog levels are read like hclog.LevelFromString")
    {
        log_line_parser p;
        CHECK(p.parse(R"({"@level":"TRACE","@message":"m"})").level == log_level::trace);
        CHECK(p.parse(R"({"@level":" info ","@message":"m"})").level == log_level::info);
        CHECK(p.parse(R"({"@level":"warn","@message":"m"})").level == log_level::warn);
        CHECK(p.parse(R"({"@level":"error","@message":"m"})").level == log_level::error);
    }

    TEST_CASE("JSON that hclog would not write is a plain line")
    {
        log_line_parser p;
        for (const char* line : {
                 R"({"@level":5,"@message":"m"})",         // non-string level: Go panics
                 R"({"@level":"info","@message":["m"]})",  // non-string message
                 R"({"@level":"verbose","@message":"m"})", // unknown level
                 R"({"@level":"info","@message":"m","@timestamp":"yesterday"})", // bad timestamp
                 R"({"@message":"m"})",                                          // no level
                 R"({"@level":"info","@message":"m")",                           // truncated
                 R"(["not","an","object"])",
             })
        {
            auto r = p.parse(line);
            CHECK_MESSAGE(!r.structured, line);
            CHECK(r.level == log_level::debug);
            CHECK(r.message == line);
            CHECK(r.raw == line);
        }
    }

    TEST_CASE("[LEVEL] tags set the level and are stripped from the message")
    {
        log_line_parser p;
        auto r = p.parse("[WARN]  disk almost full");
        CHECK(r.level == log_level::warn);
        CHECK(r.message == "disk almost full");
        CHECK(r.raw == "[WARN]  disk almost full");
        CHECK(p.parse("[TRACE] t").level == log_level::trace);
        CHECK(p.parse("[DEBUG] d").level == log_level::debug);
        CHECK(p.parse("[INFO] i").level == log_level::info);
        CHECK(p.parse("[ERROR] e").level == log_level::error);
        auto plain = p.parse("[NOTICE] not a tag");
        CHECK(plain.level == log_level::debug);
        CHECK(plain.message == "[NOTICE] not a tag");
    }

    TEST_CASE("after a Go panic, untagged lines are errors")
    {
        log_line_parser p;
        CHECK(p.parse("goroutine 1 [running]:").level == log_level::debug);
        CHECK_FALSE(p.panicked());
        CHECK(p.parse("panic: runtime error: index out of range").level == log_level::error);
        CHECK(p.panicked());
        CHECK(p.parse("main.main()").level == log_level::error);
        CHECK(p.parse("[INFO] tagged lines keep their level").level == log_level::info);
        log_line_parser q;
        CHECK(q.parse("fatal error: all goroutines are asleep - deadlock!").level ==
              log_level::error);
    }

    TEST_CASE("is_hclog_timestamp wants Go's layout exactly")
    {
        CHECK(is_hclog_timestamp("2024-03-05T14:07:09.012345Z"));
        CHECK(is_hclog_timestamp("2024-03-05T14:07:09.012345-07:30"));
        CHECK_FALSE(is_hclog_timestamp("2024-03-05T14:07:09.01234Z"));   // 5 digits
        CHECK_FALSE(is_hclog_timestamp("2024-03-05T14:07:09.0123456Z")); // 7 digits
        CHECK_FALSE(is_hclog_timestamp("2024-13-05T14:07:09.012345Z"));  // month 13
        CHECK_FALSE(is_hclog_timestamp("2024-03-05 14:07:09.012345Z"));
        CHECK_FALSE(is_hclog_timestamp("2024-03-05T14:07:09.012345+0100"));
    }

    TEST_CASE("text() quotes values that need it")
    {
        plugin_log_record r;
        r.message = "m";
        r.fields = {{"a", "two words"}, {"b", ""}, {"c", "x=y"}, {"d", "plain"}};
        CHECK(r.text() == R"(m a="two words" b="" c="x=y" d=plain)");
        std::ostringstream os;
        r.module = "kv";
        os << r;
        CHECK(os.str() == R"(debug kv: m a="two words" b="" c="x=y" d=plain)");
    }
}
