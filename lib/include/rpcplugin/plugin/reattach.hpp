#pragma once

/**
 * @file
 * Debug (reattach) mode: the plugin runs on its own, for example under a debugger, and
 * tells the developer what a host needs to attach to it, in the form Terraform reads from
 * `TF_REATTACH_PROVIDERS` (go-plugin's `ReattachConfig` as JSON, `wire::format_reattach_json`).
 */

#include "rpcplugin/wire/reattach.hpp"

#include <string>
#include <string_view>

namespace rpcplugin::plugin
{
/**
 * `text` quoted for a POSIX shell: inside single quotes, each <tt>'</tt> written as
 * <tt>'\\''</tt>. Example: <tt>it's</tt> -> <tt>'it'\\''s'</tt>.
 */
std::string shell_single_quote(std::string_view text);

/**
 * The text a debug-mode plugin named `name` prints on stdout: a sentence telling how to attach,
 * then an indented line <tt>\<variable\>='\<json\>'</tt> ready to paste into a shell (`export` it),
 * then an empty line:
 *
 * ```
 * Plugin started in debug mode. To attach a host, set the TF_REATTACH_PROVIDERS environment
 * variable with the following:
 *
 * 	TF_REATTACH_PROVIDERS='{"acme/kv":{...}}'
 *
 * ```
 */
std::string format_reattach_instructions(std::string_view name, const wire::reattach_config& config,
                                         std::string_view variable);

/**
 * True when the command line asks for debug mode, the flag as Go's `flag` package parses
 * it (Terraform providers' `-debug`): `-debug` or `--debug`, or `-debug=VALUE` /
 * `--debug=VALUE` with a true boolean (`true/yes/1/on`, any case; a false or unknown
 * value is false), anywhere on the command line; the last one wins, as in Go. Arguments
 * after a lone `--` are not flags. `argv[0]` is skipped.
 */
bool has_debug_flag(int argc, const char* const* argv);
} // namespace rpcplugin::plugin
