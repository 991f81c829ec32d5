// rpcplugin-host's command-line parsing (tools/rpcplugin-host/options.cpp).
#include "options.hpp"

#include <doctest/doctest.h>

using rpcplugin_host::parse_args;

namespace
{
rpcplugin_host::options parsed(std::vector<std::string> args)
{
    auto r = parse_args(args);
    REQUIRE_MESSAGE(r.has_value(), r.error());
    return *r;
}

std::string refused(std::vector<std::string> args)
{
    auto r = parse_args(args);
    REQUIRE(r.has_error());
    return r.error();
}
} // namespace

TEST_SUITE("host")
{
    TEST_CASE("rpcplugin-host options before the plugin, its arguments after")
    {
        auto o = parsed({"--cookie", "K=v=w", "--versions", "6,5", "--no-mtls", "--start-timeout",
                         "500", "--env", "A=1", "plugin", "--json", "x"});
        CHECK(o.cookie_key == "K");
        CHECK(o.cookie_value == "v=w");
        CHECK(o.versions == std::set<int>{5, 6});
        CHECK_FALSE(o.mtls);
        CHECK(o.start_timeout == std::chrono::milliseconds(500));
        CHECK(o.env == std::vector<std::string>{"A=1"});
        CHECK(o.plugin == "plugin");
        CHECK(o.plugin_args == std::vector<std::string>{"--json", "x"});
        CHECK_FALSE(o.json_output);
    }

    TEST_CASE("--json after --call is the request; elsewhere it selects JSON output")
    {
        auto o = parsed({"--descriptor-set", "kv.protoset", "--call", "kv.KV/Put", "--json",
                         R"({"key":"a"})", "--call", "kv.KV/Get", "--json", "--", "p"});
        REQUIRE(o.calls.size() == 2);
        CHECK(o.calls[0].method == "kv.KV/Put");
        CHECK(o.calls[0].json == R"({"key":"a"})");
        CHECK(o.calls[1].json == "{}");
        CHECK(o.json_output);
        CHECK(o.plugin == "p");
        CHECK(parsed({"--json", "p"}).json_output);
    }

    TEST_CASE("reattach needs no plugin path; NAME may pick the entry")
    {
        auto o = parsed({"--reattach", "{}"});
        CHECK(o.reattach_json == std::optional<std::string>("{}"));
        CHECK(o.plugin.empty());
        CHECK(parsed({"--reattach", "{}", "name"}).plugin == "name");
        CHECK(refused({"--reattach", "{}", "name", "extra"}) ==
              "with --reattach, only an entry NAME may follow the options");
    }

    TEST_CASE("bad command lines are refused with a reason")
    {
        CHECK(refused({}) == "no plugin given (PLUGIN or --reattach JSON)");
        CHECK(refused({"--frobnicate", "p"}) == "unknown option --frobnicate");
        CHECK(refused({"--cookie"}) == "option --cookie needs a value");
        CHECK(refused({"--cookie", "novalue", "p"}) == "--cookie wants KEY=VALUE, got \"novalue\"");
        CHECK(refused({"--versions", "1,x", "p"}) ==
              "--versions wants comma-separated non-negative integers, got \"1,x\"");
        CHECK(refused({"--versions", "", "p"}).starts_with("--versions wants"));
        CHECK(refused({"--start-timeout", "0", "p"})
                  .starts_with("--start-timeout wants milliseconds"));
        CHECK(refused({"--env", "=x", "p"}) == "--env wants KEY=VALUE, got \"=x\"");
        CHECK(refused({"--call", "kv.KV/Get", "p"}) ==
              "--call needs --descriptor-set FILE to know the request and response types");
        // After PLUGIN, everything belongs to the plugin.
        CHECK(parsed({"p", "--cookie"}).plugin_args == std::vector<std::string>{"--cookie"});
    }
}
