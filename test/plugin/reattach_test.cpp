#include "rpcplugin/plugin/reattach.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

namespace plugin = rpcplugin::plugin;

namespace
{
bool flag(std::vector<const char*> args)
{
    args.insert(args.begin(), "plugin");
    return plugin::has_debug_flag(static_cast<int>(args.size()), args.data());
}
} // namespace

TEST_SUITE("plugin")
{
    TEST_CASE("shell_single_quote survives single quotes")
    {
        CHECK(plugin::shell_single_quote("") == "''");
        CHECK(plugin::shell_single_quote("plain text") == "'plain text'");
        CHECK(plugin::shell_single_quote("it's") == R"('it'\''s')");
        CHECK(plugin::shell_single_quote("$HOME \"x\"") == "'$HOME \"x\"'");
    }

    TEST_CASE("format_reattach_instructions prints how to export the JSON")
    {
        rpcplugin::wire::reattach_config info;
        info.protocol_version = 1;
        info.pid = 7;
        info.test = true;
        info.network = "unix";
        info.address = "/tmp/p";
        CHECK(plugin::format_reattach_instructions("kv", info, "TF_REATTACH_PROVIDERS") ==
              "Plugin started in debug mode. To attach a host, set the TF_REATTACH_PROVIDERS "
              "environment variable with the following:\n\n"
              "\tTF_REATTACH_PROVIDERS='" +
                  rpcplugin::wire::format_reattach_json("kv", info) + "'\n\n");
    }

    TEST_CASE("has_debug_flag reads -debug as Go's flag package does")
    {
        CHECK_FALSE(flag({}));
        CHECK_FALSE(flag({"serve", "-v"}));
        CHECK(flag({"-debug"}));
        CHECK(flag({"--debug"}));
        CHECK(flag({"-x", "--debug", "y"}));
        CHECK(flag({"-debug=true"}));
        CHECK(flag({"--debug=1"}));
        CHECK(flag({"--debug=YES"}));
        CHECK_FALSE(flag({"-debug=false"}));
        CHECK_FALSE(flag({"-debug=maybe"}));
        CHECK_FALSE(flag({"--debug", "--debug=off"}));
        CHECK(flag({"--debug=off", "-debug"}));
        CHECK_FALSE(flag({"--", "--debug"}));
        CHECK_FALSE(flag({"debug", "---debug", "-debugger"}));
        const char* only_program[] = {"-debug"};
        CHECK_FALSE(plugin::has_debug_flag(1, only_program));
    }
}
