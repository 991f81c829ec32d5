#pragma once

/**
 * @file
 * The host's check of the plugin's handshake line: `plugin::parse_handshake_line` (go-plugin's
 * parsing and messages) plus an `errc` for each way it fails, and the AutoMTLS rule.
 */

#include "rpcplugin/host/error.hpp"
#include "rpcplugin/plugin/handshake.hpp"

#include <boost/system/result.hpp>

#include <string_view>

namespace rpcplugin::host
{
/**
 * The `errc` of an error from `plugin::parse_handshake_line`, read from go-plugin's
 * wording: `unrecognized_handshake`, `core_version_mismatch`, `app_version_mismatch`,
 * `bad_address`, `unsupported_protocol`, `bad_server_certificate`,
 * `multiplex_unsupported`.
 */
errc classify_handshake_error(const plugin::handshake_error& e) noexcept;

/**
 * Checks the plugin's first stdout line as the host must: `plugin::parse_handshake_line`
 * with `expect`, then, when `auto_mtls`, that field 6 holds a certificate (else
 * `errc::missing_server_certificate`: the plugin does not do AutoMTLS, and a TLS
 * connection to it could not be verified). The failure's message is go-plugin's.
 */
boost::system::result<plugin::handshake_line, failure>
check_handshake_line(std::string_view line, const plugin::host_expectations& expect, bool auto_mtls);
} // namespace rpcplugin::host
