#pragma once

/**
 * @file
 * The host's check of the plugin's handshake line: `wire::parse_handshake_line` (go-plugin's
 * parsing, messages and an `errc` for each way it fails) plus the AutoMTLS rule.
 */

#include "rpcplugin/host/error.hpp"
#include "rpcplugin/wire/handshake.hpp"

#include <boost/system/result.hpp>

#include <string_view>

namespace rpcplugin::host
{
/**
 * Checks the plugin's first stdout line as the host must: `wire::parse_handshake_line`
 * with `expect`, then, when `auto_mtls`, that field 6 holds a certificate (else
 * `errc::missing_server_certificate`: the plugin does not do AutoMTLS, and a TLS
 * connection to it could not be verified). The failure's message is go-plugin's.
 */
boost::system::result<wire::handshake_line, failure>
check_handshake_line(std::string_view line, const wire::host_expectations& expect, bool auto_mtls);
} // namespace rpcplugin::host
