#pragma once

/**
 * @file
 * The connection-admission stage: a connection limit, the handshake deadline and the idle
 * timeout.
 */

#include "rpcplugin/grpc/connection_stage.hpp"
#include "rpcplugin/log.hpp"

#include <chrono>
#include <cstddef>
#include <optional>

namespace rpcplugin::stage
{
/** Settings of `admission`. */
struct admission_options
{
    /** Connections served at once through this stage; more are closed at once, without
        reading from them, and logged. Zero: no limit. */
    std::size_t max_connections = 0;
    /** Time from accept for the TLS handshake, the client preface and the first SETTINGS
        frame; unset: the server's `http2.preface_timeout`. */
    std::optional<std::chrono::milliseconds> handshake_timeout;
    /** A connection without open streams or running handlers for this long gets
        GOAWAY(NO_ERROR) and is closed; unset: the server's `http2.idle_timeout`. */
    std::optional<std::chrono::milliseconds> idle_timeout;
    /** Where refusals are logged (module "rpcplugin.stage"). */
    logger log;
};

/**
 * A connection stage that admits at most `max_connections` connections at a time and sets
 * each connection's handshake deadline and idle timeout.
 *
 * @par Thread Safety
 * The returned stage is safe to share by connections served on several threads.
 */
grpc::connection_stage admission(admission_options opts);
} // namespace rpcplugin::stage
