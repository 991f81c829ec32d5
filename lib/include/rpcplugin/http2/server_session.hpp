#pragma once

/**
 * @file
 * An nghttp2 server session in memory mode: bytes in, bytes out, no socket. The layer
 * above sees complete requests and body bytes through `stream_observer`, and answers
 * through the session's stream API.
 */

#include "rpcplugin/asio.hpp"
#include "rpcplugin/detail/waiter.hpp"
#include "rpcplugin/http2/settings.hpp"

#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rpcplugin::http2
{
/** A header field to send. */
struct header
{
    std::string name;  ///< Lower-case field name.
    std::string value; ///< Field value.
};

/** A request's header block, without the body. */
struct request_head
{
    std::string method;    ///< `:method`.
    std::string scheme;    ///< `:scheme`.
    std::string authority; ///< `:authority` (empty when absent).
    std::string path;      ///< `:path`.
    /** Regular fields in arrival order (names are lower case; nghttp2 validated them). */
    std::vector<header> fields;
    /** Header-list size as SETTINGS_MAX_HEADER_LIST_SIZE counts it. */
    std::size_t list_size = 0;
    /** True when `list_size` exceeded the limit; fields past the limit were dropped. */
    bool too_large = false;
};

class server_session;

namespace detail
{
struct handler_count;
struct protections;
struct server_events;
struct server_stream;
class server_streams;
class session_core;
} // namespace detail

/**
 * One running request handler, counted against its connection's quota
 * (`settings::max_concurrent_streams`) from `server_session::start_handler` until the slot
 * is released or destroyed, whatever happened to the stream meanwhile. While the quota is
 * full the session reads no new request.
 *
 * Move-only. The slot may outlive its session (then releasing it does nothing).
 *
 * @par Thread Safety
 * Release it on the connection's strand.
 */
class handler_slot
{
public:
    handler_slot() noexcept = default;
    /** Takes over `other`'s place (`other` then holds none). */
    handler_slot(handler_slot&& other) noexcept;
    /** Gives back the place held, then takes over `other`'s. */
    handler_slot& operator=(handler_slot&& other) noexcept;
    ~handler_slot();

    /** Gives the slot back now (idempotent). */
    void release() noexcept;
    /** True while the slot is held. */
    explicit operator bool() const noexcept { return count_ != nullptr; }

private:
    friend class server_session;
    explicit handler_slot(std::shared_ptr<detail::handler_count> count) noexcept;
    std::shared_ptr<detail::handler_count> count_;
};

/**
 * Receives one stream's events. Implemented by the layer above (the gRPC call).
 *
 * Every member is called from inside nghttp2 (during `receive` or `produce`): it may
 * change state, call the session's stream API and notify waiters, but it must not
 * resume a coroutine synchronously or call `receive`/`produce`.
 */
class stream_observer
{
public:
    virtual ~stream_observer() = default;
    /** A body chunk (flow-controlled; the observer calls `consume` when it takes bytes). */
    virtual void on_data(std::span<const unsigned char> data) = 0;
    /** The peer half-closed the stream (END_STREAM). */
    virtual void on_end_stream() = 0;
    /** The stream is gone; `error_code` is the HTTP/2 code (NO_ERROR when both sides ended). */
    virtual void on_close(std::uint32_t error_code) = 0;
    /** Copies up to `dst.size()` response bytes; sets `eof` after the last. 0 without eof defers.
     */
    virtual std::size_t read_body(std::span<unsigned char> dst, bool& eof) = 0;
    /** Body bytes ready now (an upper bound is fine): sizes the room `read_body` gets. */
    virtual std::size_t body_ready() const noexcept { return static_cast<std::size_t>(-1); }
    /** After the last body byte: the trailers to send, or empty to end with the DATA frame. */
    virtual std::vector<header> take_trailers() = 0;
    /** Request bytes the observer holds now (received, not yet taken by its consumer);
        counted against `settings::max_request_buffer`. */
    virtual std::size_t buffered_bytes() const noexcept { return 0; }
};

/** Creates observers for new requests. Implemented by the layer above. */
class dispatcher
{
public:
    virtual ~dispatcher() = default;
    /**
     * A request's headers are complete. Returns its observer; nullptr when the
     * dispatcher answered the request itself (for example with `respond` and no body).
     */
    virtual std::shared_ptr<stream_observer> on_request(server_session& session, std::int32_t id,
                                                        request_head&& head, bool end_stream) = 0;
};

/**
 * One HTTP/2 server connection's protocol state (libnghttp2), with no I/O of its own and no
 * clock: every time it needs is given to `receive` and `on_timer`.
 *
 * The driver (`http2::serve`) feeds received bytes to `receive`, and sends what `produce`
 * yields when `write_signal()` fires. Flow control is manual: received DATA is
 * acknowledged (WINDOW_UPDATE) only through `consume`, so a slow handler holds back
 * its own peer.
 *
 * Protections (all configured in `settings`): `receive` looks at every frame header before
 * nghttp2 does. It stops early, keeping the rest of the input, when a frame would open a
 * stream while `max_concurrent_streams` handlers run, or when more than
 * `max_outbound_frames` frames wait for the socket; the driver then waits for
 * `read_signal()` and calls `receive({}, now)`. Suspicious frames draw on a glitch budget,
 * and PINGs are checked against gRPC's ping abuse policy (GOAWAY ENHANCE_YOUR_CALM); a
 * HEADERS on a lower, never-opened stream id is a connection error (GOAWAY PROTOCOL_ERROR),
 * and so is an invalid client preface. The driver calls `on_timer` every
 * `timer_interval()`: zero-window streams, idle connections, connection age and keepalive.
 *
 * @par Thread Safety
 * Not thread-safe: everything runs on the connection's strand.
 */
class server_session
{
public:
    /** The clock of the times given to `receive` and `on_timer`. */
    using clock = std::chrono::steady_clock;

    /** Creates the session and queues our SETTINGS and connection WINDOW_UPDATE. The
        connection's age counts from the first time given to `receive` or `on_timer`. */
    server_session(asio::any_io_executor ex, const settings& cfg, dispatcher& d);
    ~server_session();

    server_session(const server_session&) = delete;
    server_session& operator=(const server_session&) = delete;

    /** Processes bytes received at `now`. Returns the first error (protocol, callback or a
        limit); the session is then finished except for sending what it queued (e.g.
        GOAWAY). It may stop early and keep the rest of `data` (see `read_blocked`);
        `receive({}, now)` goes on with what it kept. */
    boost::system::error_code receive(std::span<const unsigned char> data, clock::time_point now);

    /** True while the session wants no input: the handler quota is full and the next frame
        opens a stream, or more than `max_outbound_frames` frames wait for the socket. The
        driver waits for `read_signal()` and checks again. */
    bool read_blocked() const noexcept;
    /** True when `receive` kept input it has not processed yet. */
    bool input_pending() const noexcept;
    /** Fires when `read_blocked()` may have turned false. */
    rpcplugin::detail::waiter& read_signal() noexcept { return read_signal_; }
    /** Requests handed to the dispatcher so far (see `settings::read_slice`). */
    std::uint64_t requests_started() const noexcept { return requests_started_; }

    /** Counts a request handler that starts now (see `handler_slot`). */
    handler_slot start_handler();
    /** Handlers counted and not yet released. */
    std::size_t running_handlers() const noexcept;

    /** The limits this session applies (its own copy of the settings). */
    const settings& limits() const noexcept { return cfg_; }
    /** Changes the idle timeout of this connection (e.g. per client); 0 switches it off. */
    void set_idle_timeout(std::chrono::milliseconds t) noexcept { cfg_.idle_timeout = t; }

    /** How often the driver should call `on_timer`. */
    std::chrono::milliseconds timer_interval() const noexcept;
    /**
     * Applies the timers at `now`: resets streams stalled on a zero window for
     * `write_stall_timeout`, sends GOAWAY(NO_ERROR) to an idle or aged connection, closes it
     * after the age grace, sends keepalive PINGs. Returns an error when the connection must
     * end now (keepalive timeout, age grace over); it is then terminated with GOAWAY.
     * A connection that turned idle when a handler returned (no time given) counts as idle
     * from the next call.
     */
    boost::system::error_code on_timer(clock::time_point now);

    /** Appends up to about `max` bytes of frames to `out`. Returns an error if the session
        failed while serializing. */
    boost::system::error_code produce(std::vector<unsigned char>& out, std::size_t max);

    /** True while the session expects more input. */
    bool want_read() const noexcept;
    /** True while the session has frames to send. */
    bool want_write() const noexcept;
    /** True once the client's first SETTINGS frame arrived (after the preface). */
    bool preface_received() const noexcept { return preface_received_; }

    /** Fires whenever there may be something new to send. */
    rpcplugin::detail::waiter& write_signal() noexcept;
    /** Wakes the writer. */
    void notify_write();

    // --- stream API, for observers and the layer above -----------------------------------

    /** Submits response headers; with `with_body` the body is pulled from the observer. */
    boost::system::error_code respond(std::int32_t id, std::span<const header> headers,
                                      bool with_body);
    /** The observer has more body bytes (or the end) ready. */
    void resume(std::int32_t id);
    /** Resets a stream with an HTTP/2 error code. */
    void reset(std::int32_t id, std::uint32_t error_code);
    /** Acknowledges `n` received body bytes of a stream (stream and connection windows). */
    void consume(std::int32_t id, std::size_t n);
    /** True when the peer has half-closed the stream (or it is gone). */
    bool remote_closed(std::int32_t id) const noexcept;

    // --- connection ------------------------------------------------------------------------

    /**
     * Sends the graceful-shutdown GOAWAY (last stream id 2^31-1) and a PING; streams keep
     * running. The PING's ACK shows that the client has read the notice and everything it
     * sent before it, so the final `goaway(0)` is sent as soon as that ACK arrives.
     */
    void shutdown_notice();
    /** Sends GOAWAY with the last processed stream id; later streams are refused. A repeated
        NO_ERROR GOAWAY (the drain's fallback after the PING ACK) is not sent again. */
    void goaway(std::uint32_t error_code = 0);
    /** Sends GOAWAY and stops reading; the session ends once that is written. */
    void terminate(std::uint32_t error_code);
    /** True once we queued or sent a GOAWAY (no new streams are taken). */
    bool goaway_sent() const noexcept { return goaway_sent_; }
    /** Closes every stream's observer with `error_code` (the connection is going away). */
    void close_all_streams(std::uint32_t error_code);
    /** Number of open streams with an observer. */
    std::size_t active_streams() const noexcept;

private:
    friend class handler_slot;
    friend struct detail::server_events;
    enum class verdict
    {
        pass,
        pause,
        stop,
    };

    // server_protections.cpp: what the session inspects, counts and times.
    boost::system::error_code process(std::span<const unsigned char> input);
    bool header_held() const noexcept;
    bool outbound_full() const noexcept;
    bool opens_stream_over_quota() const noexcept;
    verdict inspect();
    verdict inspect_headers(std::int32_t id);
    bool glitch() noexcept;
    void end_connection(std::uint32_t code, std::string_view debug, boost::system::error_code ec);
    bool idle() const noexcept;
    void stream_closed() noexcept;
    void handler_done() noexcept;
    void account_buffer(std::int32_t id, detail::server_stream& s);
    void reset_stalled_streams(clock::time_point now);
    bool check_idle(clock::time_point now);
    boost::system::error_code check_age(clock::time_point now);
    boost::system::error_code check_keepalive(clock::time_point now);

    settings cfg_;
    dispatcher& dispatcher_;
    std::unique_ptr<detail::session_core> core_;
    std::unique_ptr<detail::server_streams> streams_;
    std::unique_ptr<detail::protections> guard_;
    std::shared_ptr<detail::handler_count> handlers_;
    rpcplugin::detail::waiter read_signal_;
    bool preface_received_ = false;
    bool shutdown_notice_queued_ = false;
    bool shutdown_ping_sent_ = false;
    bool final_goaway_sent_ = false;
    bool goaway_sent_ = false;
    std::uint64_t requests_started_ = 0;
};
} // namespace rpcplugin::http2
