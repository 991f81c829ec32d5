#pragma once

// rpcplugin-host's command line: parsed into plain data, without touching anything.

#include <boost/system/result.hpp>

#include <chrono>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace rpcplugin_host
{
/** One `--call METHOD [--json BODY]`. */
struct call_request
{
    std::string method;
    /** The request as JSON (protobuf's JSON mapping); `{}` when not given. */
    std::string json = "{}";
};

/** Everything the command line says. */
struct options
{
    std::string cookie_key;
    std::string cookie_value;
    std::set<int> versions = {1};
    bool mtls = true;
    std::chrono::milliseconds start_timeout{60000};
    std::chrono::milliseconds call_timeout{10000};
    std::optional<std::string> reattach_json;
    std::vector<call_request> calls;
    std::string descriptor_set;
    bool demo_kv = false;
    bool json_output = false;
    bool help = false;
    std::vector<std::string> env;
    /** The plugin (with --reattach: optionally the name of the entry to use). */
    std::string plugin;
    std::vector<std::string> plugin_args;
};

/** The usage text (`--help`). */
std::string usage();

/**
 * Parses `args` (without the program name). Options come before PLUGIN; everything after
 * PLUGIN (or after `--`) is the plugin's arguments. `--json` followed by an argument that
 * starts with `{` right after a `--call` is that call's request; any other `--json`
 * selects JSON output. The error is one line for stderr.
 */
boost::system::result<options, std::string> parse_args(const std::vector<std::string>& args);
} // namespace rpcplugin_host
