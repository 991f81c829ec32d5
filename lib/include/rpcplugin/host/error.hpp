#pragma once

/**
 * @file
 * The host's names for the wire error (`wire/error.hpp`): `host::errc` and `host::failure`
 * are `wire::errc` and `wire::error`, the error of launching, connecting to and stopping a
 * plugin. For a handshake failure the message is go-plugin's wording; when the plugin wrote
 * to stderr, the last lines follow it.
 */

#include "rpcplugin/wire/error.hpp"

namespace rpcplugin::host
{
/** Why a plugin could not be launched, reached or understood: `wire::errc`. */
using errc = wire::errc;
/** The error of the host's operations: `wire::error` (code, message). */
using failure = wire::error;
using wire::make_error;
using wire::make_error_code;
using wire::to_string;
} // namespace rpcplugin::host
