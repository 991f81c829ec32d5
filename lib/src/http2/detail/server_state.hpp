#pragma once

/**
 * @file
 * The private state of a `server_session`: its streams, its handler count and its
 * protections (input inspection, glitch budget, ping policy, timers).
 */

#include "http2/detail/frame_splitter.hpp"
#include "http2/detail/glitch_budget.hpp"
#include "http2/detail/ping_policy.hpp"
#include "http2/detail/session_core.hpp"
#include "http2/detail/stream_ids.hpp"
#include "rpcplugin/http2/server_session.hpp"

#include <nghttp2/nghttp2.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

namespace rpcplugin::http2::detail
{
/** The handler count shared by a session and its `handler_slot`s. */
struct handler_count
{
    std::size_t running = 0;
    /** Cleared when the session goes away. */
    server_session* session = nullptr;
};

/** One request stream of a server session. */
struct server_stream
{
    request_head head;
    std::shared_ptr<stream_observer> observer;
    /** The observer has response body to send (set by respond/resume, cleared when
        read_body defers or ends). */
    bool sending = false;
    /** Since when `sending` waits for the peer's flow-control window. */
    std::optional<std::chrono::steady_clock::time_point> blocked_since;
    /** The observer's buffered_bytes() when last asked. */
    std::size_t buffered = 0;
    /** Reset for exceeding max_request_buffer: further DATA is dropped. */
    bool shed = false;
};

class server_streams : public stream_table<server_stream>
{
};

/** Opaque data of the PING sent with the shutdown notice. */
inline constexpr std::uint8_t shutdown_ping_data[8] = {'s', 'h', 'u', 't', 'd', 'o', 'w', 'n'};
/** Opaque data of the server's keepalive PING. */
inline constexpr std::uint8_t keepalive_ping_data[8] = {'r', 'p', 'c', 'p', 'l', 'u', 'g', 'k'};

/**
 * What a server session inspects, counts and times to protect itself. Pure data; the
 * session's functions in server_protections.cpp apply it.
 */
struct protections
{
    using clock = std::chrono::steady_clock;

    explicit protections(const settings& cfg) noexcept
        : splitter(NGHTTP2_CLIENT_MAGIC_LEN)
        , glitches(cfg.glitch_burst, cfg.glitch_rate, clock::time_point{})
        , pings(cfg.min_ping_interval, cfg.max_ping_strikes, cfg.permit_ping_without_calls)
    {
    }

    /** A call given the time `t` (`receive`, `on_timer`) starts; the first one is the
        session's birth. */
    void begin(clock::time_point t) noexcept
    {
        now = t;
        latest = t;
        if (!created)
        {
            created = t;
            idle_since = t;
            last_received = t;
        }
    }
    /** That call ends: events until the next one (in `produce`, from a handler) have no
        time of their own. */
    void end() noexcept { now.reset(); }

    // Input inspection.
    frame_splitter splitter;
    glitch_budget glitches;
    ping_policy pings;
    stream_ids ids;
    /** Input kept back while reading is blocked. */
    std::vector<unsigned char> pending;
    /** Sum of the streams' last known buffered_bytes(). */
    std::size_t buffered = 0;
    std::uint32_t settings_received = 0;
    std::uint32_t settings_acks_received = 0;
    /** GOAWAYs this side queued (not the shutdown notice) that are not written yet: no frame
        is read meanwhile. nghttp2 ignores new streams only once a GOAWAY is written, and
        its own connection-error GOAWAY carries the last stream it processed, so a stream
        read in between would raise the last stream id (RFC 9113 section 6.8). */
    std::uint32_t goaways_unsent = 0;

    // Time: the time of the call in progress, the latest given, and the timers' marks.
    std::optional<clock::time_point> now;
    clock::time_point latest{};
    std::optional<clock::time_point> created;
    clock::time_point idle_since{};
    /** The connection turned idle at a time not given (a handler returned). */
    bool idle_untimed = false;
    clock::time_point last_received{};
    std::optional<clock::time_point> keepalive_sent;
    std::optional<clock::time_point> age_notice_sent;
    bool age_goaway_sent = false;
};

/** The nghttp2 callback targets of a server session (server_events.cpp). */
struct server_events
{
    using session = server_session;
    /** The session core, for the callbacks' exception handling (callbacks.cpp). */
    static session_core& core(server_session& s) noexcept { return *s.core_; }
    static int on_begin_headers(server_session& s, const nghttp2_frame& frame);
    static int on_header(server_session& s, const nghttp2_frame& frame,
                         std::span<const unsigned char> name, std::span<const unsigned char> value);
    static int on_frame_recv(server_session& s, const nghttp2_frame& frame);
    static int on_data_chunk(server_session& s, std::int32_t id,
                             std::span<const unsigned char> data);
    static int on_stream_close(server_session& s, std::int32_t id, std::uint32_t error_code);
    static int on_frame_send(server_session& s, const nghttp2_frame& frame) noexcept;
    static int on_invalid_frame(server_session& s, const nghttp2_frame& frame,
                                int lib_error) noexcept;
    static long read_body(server_session& s, std::int32_t id, std::uint8_t* buf, std::size_t len,
                          std::uint32_t* flags);
    static int send_data(server_session& s, const nghttp2_frame& frame, const std::uint8_t* framehd,
                         std::size_t length) noexcept;

private:
    static int on_ping(server_session& s, const nghttp2_frame& frame);
    static int on_headers(server_session& s, const nghttp2_frame& frame);
};
} // namespace rpcplugin::http2::detail
