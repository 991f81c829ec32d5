#pragma once

/**
 * @file
 * Debug (reattach) mode: the plugin runs on its own, for example under a debugger, and
 * tells the developer what a host needs to attach to it, in the form Terraform reads from
 * `TF_REATTACH_PROVIDERS` (go-plugin's `ReattachConfig` as JSON).
 */

#include <string>
#include <string_view>

namespace rpcplugin::plugin
{
/** What a host needs to reattach to a running plugin (go-plugin's `ReattachConfig`). */
struct reattach_info
{
    /** The key of the JSON object: the plugin's name as the host knows it
        (Terraform: the provider source address, e.g. `registry.terraform.io/acme/kv`). */
    std::string name;
    /** `Protocol`: `grpc`. */
    std::string protocol = "grpc";
    /** `ProtocolVersion`: the app protocol version the plugin serves. */
    int protocol_version = 0;
    /** `Pid`: the plugin's process id. */
    long pid = 0;
    /** `Test`: true tells newer hosts not to kill the process when they are done with it. */
    bool test = true;
    /** `Addr.Network`: `unix` or `tcp`. */
    std::string network = "unix";
    /** `Addr.String`: the socket path, or `host:port`. */
    std::string address;

    /** Member-wise equality. */
    friend bool operator==(const reattach_info&, const reattach_info&) = default;
};

/**
 * The JSON a host reads, one line without a newline, keys in go-plugin's order:
 * `{"NAME":{"Protocol":"grpc","ProtocolVersion":6,"Pid":123,"Test":true,
 * "Addr":{"Network":"unix","String":"/tmp/plugin123"}}}`. Strings are escaped as Go's
 * `encoding/json` does (`json_string`).
 */
std::string format_reattach_json(const reattach_info& info);

/**
 * `text` quoted for a POSIX shell: inside single quotes, each <tt>'</tt> written as
 * <tt>'\\''</tt>. Example: <tt>it's</tt> -> <tt>'it'\\''s'</tt>.
 */
std::string shell_single_quote(std::string_view text);

/**
 * The text a debug-mode plugin prints on stdout: a sentence telling how to attach, then an
 * indented line <tt>\<variable\>='\<json\>'</tt> ready to paste into a shell (`export`
 * it), then an empty line:
 *
 * ```
 * Plugin started in debug mode. To attach a host, set the TF_REATTACH_PROVIDERS environment variable with the following:
 *
 * 	TF_REATTACH_PROVIDERS='{"acme/kv":{...}}'
 *
 * ```
 */
std::string format_reattach_instructions(const reattach_info& info, std::string_view variable);

/**
 * True when the command line asks for debug mode, the flag as Go's `flag` package parses
 * it (Terraform providers' `-debug`): `-debug` or `--debug`, or `-debug=VALUE` /
 * `--debug=VALUE` with a true boolean (`true/yes/1/on`, any case; a false or unknown
 * value is false), anywhere on the command line; the last one wins, as in Go. Arguments
 * after a lone `--` are not flags. `argv[0]` is skipped.
 */
bool has_debug_flag(int argc, const char* const* argv);
} // namespace rpcplugin::plugin
