#pragma once

/**
 * @file
 * The HTTP/2 limits a server session advertises and enforces.
 */

#include <chrono>
#include <cstddef>
#include <cstdint>

namespace rpcplugin::http2
{
/** The code observers see in `on_close` when the whole connection ended (EOF, I/O or
    protocol error) rather than the stream; it is not an HTTP/2 error code. */
inline constexpr std::uint32_t connection_lost = 0xffffffffu;

/**
 * HTTP/2 settings and protection limits of one connection. Defaults match gRPC's or are
 * stricter. A duration of zero switches that timer off.
 */
struct settings
{
    // --- advertised SETTINGS and what bounds a connection's work ---------------------------

    /** SETTINGS_MAX_CONCURRENT_STREAMS advertised (and enforced by nghttp2). The same number
        bounds the handlers running for the connection, counted until each handler returns
        even when its stream was reset long before: while that many run, the session reads
        no new request (the socket is not read) until one finishes. */
    std::uint32_t max_concurrent_streams = 100;
    /** SETTINGS_MAX_HEADER_LIST_SIZE advertised and enforced (name + value + 32 per field). */
    std::uint32_t max_header_list_size = 16 * 1024;
    /** SETTINGS_INITIAL_WINDOW_SIZE: per-stream receive window. */
    std::uint32_t stream_window = 1024 * 1024;
    /** Connection-level receive window. */
    std::uint32_t connection_window = 8 * 1024 * 1024;
    /** Request bytes the calls of one connection may buffer at once
        (`stream_observer::buffered_bytes`: received and not yet taken by the handlers,
        counted as the memory holding them). Flow control bounds a stream to its
        window plus one partial message (up to the largest message size), not the
        connection; the stream whose DATA crosses this is reset with
        RST_STREAM(ENHANCE_YOUR_CALM) (the client sees RESOURCE_EXHAUSTED). The default
        leaves room for gRPC's concurrent_large_unary (100 calls of 266 KiB at once).
        0: no limit. */
    std::size_t max_request_buffer = 32 * 1024 * 1024;
    /** Control frames (SETTINGS and PING acknowledgements, RST_STREAM, WINDOW_UPDATE,
        response HEADERS...) queued for the socket above which the session stops reading
        until the peer reads some: a peer that floods without reading cannot grow the queue
        (grpc-go stops reading at 50 queued "transport response" frames). */
    std::size_t max_outbound_frames = 50;
    /** Request body bytes read and discarded from a request the server refuses without a
        handler (an HTTP 415 or 405 answer) while waiting for the request's end: the answer
        goes out when the request ends (END_STREAM), so that the client's later frames on
        the stream still get the reaction RFC 9113 requires; past this many bytes it goes
        out at once and the stream is reset with NO_ERROR (RFC 9113 section 8.1). */
    std::size_t refused_body_limit = 64 * 1024;

    // --- nghttp2's own protections ---------------------------------------------------------

    /** Maximum CONTINUATION frames after a HEADERS frame (CVE-2024-28182). */
    std::size_t max_continuations = 8;
    /** RST_STREAM rate limit: burst (CVE-2023-44487). */
    std::uint64_t reset_burst = 1000;
    /** RST_STREAM rate limit: tokens per second. */
    std::uint64_t reset_rate = 33;

    // --- glitches: frames a well-behaved client does not send -------------------------------

    /** Budget of suspicious frames (empty DATA without END_STREAM, frames to closed or
        unknown streams, invalid frames, PRIORITY, unknown frame types, unsolicited PING
        ACKs, SETTINGS after the first): a token bucket of this many tokens. When it is
        empty the connection ends with GOAWAY(ENHANCE_YOUR_CALM, "too_many_glitches").
        0 switches the budget off. */
    std::uint32_t glitch_burst = 1000;
    /** Glitch tokens given back per second. */
    std::uint32_t glitch_rate = 330;

    // --- gRPC's ping abuse policy ------------------------------------------------------------

    /** A client PING sooner than this after the previous one, with no DATA or HEADERS sent
        by us in between, is a strike (gRPC's `min_ping_interval_without_data` and
        grpc-go's `EnforcementPolicy.MinTime`, 5 min). While no call is open the interval
        is 2 hours unless `permit_ping_without_calls`. */
    std::chrono::milliseconds min_ping_interval{std::chrono::minutes(5)};
    /** Strikes tolerated: one more ends the connection with GOAWAY(ENHANCE_YOUR_CALM,
        "too_many_pings"), as gRPC does. Our DATA or HEADERS reset the count. 0 tolerates
        any number of pings. */
    std::uint32_t max_ping_strikes = 2;
    /** Allow pings every `min_ping_interval` also while no call is open (gRPC's
        `keepalive_permit_without_calls` / grpc-go's `PermitWithoutStream`). */
    bool permit_ping_without_calls = false;

    // --- timers ------------------------------------------------------------------------------

    /** Deadline from accept for the TLS handshake (if any), the client preface and the
        first SETTINGS frame. */
    std::chrono::milliseconds preface_timeout{20000};
    /** No write progress for this long while bytes wait for the socket: the connection is
        closed. A stream whose response waits this long for the peer's flow-control window
        (zero window) is reset with RST_STREAM(CANCEL). */
    std::chrono::milliseconds write_stall_timeout{60000};
    /** A connection without open streams or running handlers for this long gets
        GOAWAY(NO_ERROR) and is closed (gRPC's `max_connection_idle`). Off by default. */
    std::chrono::milliseconds idle_timeout{0};
    /** After this long a connection gets GOAWAY(NO_ERROR): calls already started go on,
        new ones go to a new connection (gRPC's `max_connection_age`). Off by default. */
    std::chrono::milliseconds max_connection_age{0};
    /** After `max_connection_age` plus this, a connection still open is closed and its
        calls cancelled (gRPC's `max_connection_age_grace`). 0: wait for the calls. */
    std::chrono::milliseconds max_connection_age_grace{0};
    /** The server PINGs a client it has heard nothing from for this long (gRPC's
        `keepalive_time`, 2 hours). */
    std::chrono::milliseconds keepalive_time{std::chrono::hours(2)};
    /** A keepalive PING not acknowledged within this ends the connection (gRPC's
        `keepalive_timeout`, 20 s). */
    std::chrono::milliseconds keepalive_timeout{20000};

    // --- I/O -----------------------------------------------------------------------------------

    /** Bytes gathered into one socket write. */
    std::size_t write_batch = 64 * 1024;
    /** Size of the socket read buffer. */
    std::size_t read_buffer = 64 * 1024;
    /** Server: a read larger than this is handed to the session in slices of this size;
        after a slice that started requests, their handlers and the writer run before the
        next slice. Responses to the first requests of a large batch then go out while the
        rest is parsed, so that the client works in parallel instead of in turn (1 KiB
        unary calls, 32 on one connection: about 1.9x the calls/s). Reads that start no
        request (streamed messages, bulk DATA) are not held up. 0: no slicing. */
    std::size_t read_slice = 16 * 1024;
};
} // namespace rpcplugin::http2
