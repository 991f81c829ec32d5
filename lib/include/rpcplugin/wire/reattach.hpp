#pragma once

/**
 * @file
 * Reattach descriptions: how a host connects to a plugin that is already running (a
 * plugin started by a debugger, Terraform's `TF_REATTACH_PROVIDERS`), instead of
 * launching it. A debug-mode plugin writes them (`format_reattach_json`), the host reads
 * them (`parse_reattach_json`).
 */

#include "rpcplugin/wire/error.hpp"

#include <boost/system/result.hpp>

#include <iosfwd>
#include <map>
#include <string>
#include <string_view>

namespace rpcplugin::wire
{
/** go-plugin's `ReattachConfig`: where a running plugin listens. */
struct reattach_config
{
    /** `grpc` (netrpc plugins are Go-only). */
    std::string protocol = "grpc";
    /** The app protocol version the plugin serves (0: not given). */
    int protocol_version = 0;
    /** The plugin's process id (0: not given). Informative: the host never signals it. */
    long pid = 0;
    /** go-plugin's `Test`: the plugin's lifetime belongs to someone else. */
    bool test = false;
    /** `unix` or `tcp`. */
    std::string network;
    /** The socket path, or `host:port`. */
    std::string address;

    /** Member-wise equality. */
    friend bool operator==(const reattach_config&, const reattach_config&) = default;
};

/**
 * The JSON a host reads, one line without a newline, keys in go-plugin's order:
 * `{"NAME":{"Protocol":"grpc","ProtocolVersion":6,"Pid":123,"Test":true,
 * "Addr":{"Network":"unix","String":"/tmp/plugin123"}}}`. Strings are escaped as Go's
 * `encoding/json` does (`json_string`). `name` is the plugin's name as the host knows it
 * (Terraform: the provider source address, e.g. `registry.terraform.io/acme/kv`).
 */
std::string format_reattach_json(std::string_view name, const reattach_config& config);

/** Writes the fields readably (for test failures). */
std::ostream& operator<<(std::ostream& os, const reattach_config& c);

/**
 * Parses the JSON object Terraform reads from `TF_REATTACH_PROVIDERS` (and a debug-mode
 * plugin prints): names mapped to
 * `{"Protocol":"grpc","ProtocolVersion":5,"Pid":123,"Test":true,"Addr":{"Network":"unix","String":"/path"}}`.
 *
 * Rules: the text is one JSON object with at least one entry; each entry is an object;
 * `Protocol` is a string, `grpc` when absent or empty (go-plugin's `netrpc` default is
 * refused: only gRPC is spoken); `ProtocolVersion` and `Pid` are non-negative integers;
 * `Test` is a boolean; `Addr.Network` is `unix` or `tcp`; `Addr.String` is a non-empty
 * socket path, or `host:port` with a numeric port for tcp. Unknown keys are ignored.
 *
 * Fails with `errc::bad_reattach_config` and a message naming the entry and the key.
 */
boost::system::result<std::map<std::string, reattach_config>, error>
parse_reattach_json(std::string_view json);
} // namespace rpcplugin::wire
