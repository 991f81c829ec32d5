#pragma once

/**
 * @file
 * The connection front door (detect, refuse HTTP/1.x, TLS and ALPN, refuse h2c on TLS,
 * serve) and the gRPC dispatcher. Private to the library.
 */

#include "rpcplugin/asio.hpp"
#include "rpcplugin/grpc/connection_stage.hpp"
#include "rpcplugin/http2/server_session.hpp"
#include "rpcplugin/transport/detect.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace rpcplugin::grpc
{
class server;
}

namespace rpcplugin::grpc::detail
{
class connections;

/** Where the front door sends a connection once its first bytes are known. */
enum class door
{
    /** No recognisable preface before the handshake deadline: closed. */
    timed_out,
    /** A TLS handshake on a plaintext listener: closed with a log line. */
    refuse_tls,
    /** An HTTP/1.x request: answered (505 on plaintext, 400 on TLS listeners) and closed. */
    refuse_http1,
    /** An HTTP/2 client on a TLS listener: GOAWAY(PROTOCOL_ERROR, "TLS required"), closed. */
    refuse_h2c,
    /** Anything else on a TLS listener: closed with a log line. */
    refuse_plaintext,
    /** Plaintext HTTP/2 (prior knowledge); bytes that are not the preface get the
        session's GOAWAY(PROTOCOL_ERROR). */
    serve_h2c,
    /** The TLS handshake (ALPN h2 required), then HTTP/2. */
    serve_tls,
};

/** The front door's routing: pure. `need_more` means the deadline passed. */
door route(transport::protocol_guess guess, bool tls_listener) noexcept;

/**
 * The last step of every connection pipeline, the front door: takes a handshake place,
 * detects the protocol, refuses what it does not serve, runs the TLS handshake (when
 * `c.tls`), then serves HTTP/2 with the gRPC dispatcher, all within `c.handshake_deadline`
 * until the first SETTINGS frame. The HTTP/2 session is attached to `conns` (for the drain)
 * while it runs. Moves from and closes `c.socket`.
 */
asio::awaitable<void> run_connection(const server& srv, connections& conns, connection_context& c);

/**
 * The gRPC dispatcher one connection uses: routing, 415/405 answers, header checks, and
 * handler coroutines co-spawned on `ex` (the connection's strand). For driving a
 * `http2::server_session` without a socket (fuzzing, tests); `srv` must outlive it.
 * `peer` and `id` are what `server_context::peer()` and `connection_id()` report.
 */
std::unique_ptr<http2::dispatcher> make_dispatcher(const server& srv, asio::any_io_executor ex,
                                                   std::string peer, std::uint64_t id = 0);
} // namespace rpcplugin::grpc::detail
