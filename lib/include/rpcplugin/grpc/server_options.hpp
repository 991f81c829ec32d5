#pragma once

/**
 * @file
 * Settings of a gRPC server.
 */

#include "rpcplugin/http2/settings.hpp"
#include "rpcplugin/log.hpp"

#include <chrono>
#include <cstddef>

namespace rpcplugin::grpc
{
/**
 * The server's admission policy: which accepted connections it takes on. Applied to every
 * accepted connection before any connection stage; the handshake deadline is
 * `http2.preface_timeout` and the idle timeout `http2.idle_timeout` of the same options
 * (a connection stage may change both per connection through `connection_context`).
 */
struct admission_options
{
    /** Connections served at once (from accept to close, the handshake included); more are
        closed at once, without reading from them, and logged at warn. 0: no limit. */
    std::size_t max_connections = 0;
    /** Connections still in their handshake (accepted, but the client has not yet sent a
        complete HTTP/2 preface or, on a TLS listener, finished the TLS handshake with ALPN
        h2) at once. A connection accepted beyond it is closed at once (logged at warn);
        each half-open one lives at most `http2.preface_timeout`. 0: no limit. */
    std::size_t max_pending_handshakes = 256;
};

/** Server-wide limits and settings. Defaults match gRPC's. */
struct server_options
{
    /** Largest request message accepted, checked on the length prefix before buffering and
        again after decompression; larger ones end the call with RESOURCE_EXHAUSTED. */
    std::size_t max_receive_message_size = 4 * 1024 * 1024;
    /** Largest response message a handler may write; larger ones end the call with
        RESOURCE_EXHAUSTED. */
    std::size_t max_send_message_size = 4 * 1024 * 1024;
    /** Response bytes queued per call before `write` waits for the peer to read. */
    std::size_t write_high_water = 256 * 1024;
    /** The admission policy: connection and handshake quotas. */
    admission_options admission;
    /** HTTP/2 settings and limits of each connection. */
    http2::settings http2;
    /** Where the server logs (module "rpcplugin.grpc"). */
    logger log;
};
} // namespace rpcplugin::grpc
