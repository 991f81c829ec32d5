#pragma once

/**
 * @file
 * An nghttp2 client session in memory mode: requests out, responses in, no socket.
 */

#include "rpcplugin/asio.hpp"
#include "rpcplugin/detail/waiter.hpp"
#include "rpcplugin/http2/server_session.hpp"
#include "rpcplugin/http2/settings.hpp"

#include <boost/system/error_code.hpp>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace rpcplugin::http2
{
namespace detail
{
struct client_events;
class client_streams;
class session_core;
} // namespace detail

/**
 * Receives one client stream's events. Called from inside nghttp2 (during `receive` or
 * `produce`): change state and notify, never resume a coroutine synchronously.
 */
class response_observer
{
public:
    virtual ~response_observer() = default;
    /** A response header block: the first is the response head (`:status` among the
        fields), a later one carries trailers. `end_stream` when it ends the response. */
    virtual void on_headers(std::vector<header>&& fields, bool trailers, bool end_stream) = 0;
    /** A body chunk; the observer calls `consume` when it takes the bytes. */
    virtual void on_data(std::span<const unsigned char> data) = 0;
    /** END_STREAM on a DATA frame. */
    virtual void on_end_stream() = 0;
    /** The stream is gone; `error_code` is the HTTP/2 code. */
    virtual void on_close(std::uint32_t error_code) = 0;
    /** Copies up to `dst.size()` request-body bytes; sets `eof` after the last.
        0 without eof defers. */
    virtual std::size_t read_body(std::span<unsigned char> dst, bool& eof) = 0;
    /** Body bytes ready now (an upper bound is fine): sizes the room `read_body` gets. */
    virtual std::size_t body_ready() const noexcept { return static_cast<std::size_t>(-1); }
};

/**
 * One HTTP/2 client connection's protocol state (libnghttp2), with no I/O of its own.
 * Driven by `http2::serve` like the server session; flow control is manual (`consume`).
 *
 * @par Thread Safety
 * Not thread-safe: everything runs on the connection's strand.
 */
class client_session
{
public:
    /** Creates the session and queues the preface, our SETTINGS and connection window. */
    client_session(asio::any_io_executor ex, const settings& cfg);
    ~client_session();

    client_session(const client_session&) = delete;
    client_session& operator=(const client_session&) = delete;

    /** Processes received bytes; returns the first error. */
    boost::system::error_code receive(std::span<const unsigned char> data);
    /** Appends up to about `max` bytes of frames to `out`. */
    boost::system::error_code produce(std::vector<unsigned char>& out, std::size_t max);
    /** True while nghttp2 wants more input (the connection is not finished). */
    bool want_read() const noexcept;
    /** True while nghttp2 has frames to send. */
    bool want_write() const noexcept;
    /** True once the server's first SETTINGS frame arrived. */
    bool preface_received() const noexcept { return preface_received_; }
    /** True once the server sent GOAWAY (no new streams are possible). */
    bool goaway_received() const noexcept { return goaway_received_; }
    /** Fires whenever there may be something new to send. */
    rpcplugin::detail::waiter& write_signal() noexcept;
    /** Fires when the server's first SETTINGS arrives or the session fails. */
    rpcplugin::detail::waiter& ready_signal() noexcept { return ready_signal_; }
    /** Fires `write_signal` (after queuing something outside nghttp2's callbacks). */
    void notify_write();

    /**
     * Submits a request; with `with_body` the body is pulled from the observer.
     * Returns the stream id, or a negative nghttp2 error (e.g. no more stream ids,
     * or GOAWAY received).
     */
    std::int32_t submit(std::span<const header> headers, bool with_body,
                        std::shared_ptr<response_observer> obs);
    /** Resumes a request body that paused because the observer had no bytes yet. */
    void resume(std::int32_t id);
    /** Resets stream `id` with RST_STREAM(`error_code`). */
    void reset(std::int32_t id, std::uint32_t error_code);
    /** Acknowledges `n` body bytes of stream `id` as taken (opens the flow-control windows). */
    void consume(std::int32_t id, std::size_t n);
    /** Sends GOAWAY(`error_code`) and ends the session once written. */
    void terminate(std::uint32_t error_code = 0);
    /** Closes every stream's observer with `error_code` (the connection is going away). */
    void close_all_streams(std::uint32_t error_code);
    /** Number of open streams with an observer. */
    std::size_t active_streams() const noexcept;
    /** The first error the session met (protocol, callback), if any. */
    boost::system::error_code error() const noexcept;

private:
    friend struct detail::client_events;

    const settings& cfg_;
    std::unique_ptr<detail::session_core> core_;
    std::unique_ptr<detail::client_streams> streams_;
    rpcplugin::detail::waiter ready_signal_;
    bool preface_received_ = false;
    bool goaway_received_ = false;
};
} // namespace rpcplugin::http2
