#pragma once

/**
 * @file
 * Settings of a client channel and of one call.
 */

#include "rpcplugin/grpc/compression.hpp"
#include "rpcplugin/grpc/metadata.hpp"
#include "rpcplugin/http2/settings.hpp"
#include "rpcplugin/log.hpp"
#include "rpcplugin/tls/context.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

namespace rpcplugin::grpc
{
/** How a channel connects and what it allows. Defaults match gRPC's. */
struct channel_options
{
    /** Largest response message accepted (RESOURCE_EXHAUSTED beyond). */
    std::size_t max_receive_message_size = 4 * 1024 * 1024;
    /** Largest request message a call may write (RESOURCE_EXHAUSTED beyond). */
    std::size_t max_send_message_size = 4 * 1024 * 1024;
    /** Request bytes queued per call before `write` waits for the peer to read. */
    std::size_t write_high_water = 256 * 1024;
    /** TLS when set (ALPN h2 is required); plaintext prior-knowledge h2c otherwise. */
    std::optional<tls::client_config> tls;
    /** Deadline for connecting, the TLS handshake and the server's first SETTINGS. */
    std::chrono::milliseconds connect_timeout{10000};
    /** `:authority` of requests; empty: the target's host:port, or "localhost" for Unix. */
    std::string authority;
    /** `user-agent` of requests. */
    std::string user_agent = "rpcplugin/0.1";
    /** HTTP/2 settings of the connection (windows, header list limit). */
    http2::settings http2;
    /** Where the channel logs (module "rpcplugin.client"). */
    logger log;
};

/** Per-call settings. */
struct call_options
{
    /** Deadline relative to the start of the call, sent as `grpc-timeout`. */
    std::optional<std::chrono::nanoseconds> timeout;
    /** Custom metadata (`-bin` values are raw bytes; they are base64-encoded on the wire). */
    rpcplugin::grpc::metadata metadata;
    /** Request compression (`grpc-encoding`); identity sends plain messages. */
    encoding compression = encoding::identity;
};
} // namespace rpcplugin::grpc
