#pragma once

/**
 * @file
 * An nghttp2 server session in memory mode: bytes in, bytes out, no socket. The layer
 * above sees complete requests and body bytes through `stream_observer`, and answers
 * through the session's stream API.
 */

#include "rpcplugin/asio.hpp"
#include "rpcplugin/detail/waiter.hpp"
#include "rpcplugin/http2/detail/direct_data.hpp"
#include "rpcplugin/http2/settings.hpp"

#include <boost/system/error_code.hpp>
#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace rpcplugin::http2
{
/** A header field to send. */
struct header
{
    std::string name;
    std::string value;
};

/** A request's header block, without the body. */
struct request_head
{
    std::string method;
    std::string scheme;
    std::string authority;
    std::string path;
    /** Regular fields in arrival order (names are lower case; nghttp2 validated them). */
    std::vector<header> fields;
    /** Header-list size as SETTINGS_MAX_HEADER_LIST_SIZE counts it. */
    std::size_t list_size = 0;
    /** True when `list_size` exceeded the limit; fields past the limit were dropped. */
    bool too_large = false;
};

class server_session;

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
    /** Copies up to `dst.size()` response bytes; sets `eof` after the last. 0 without eof defers. */
    virtual std::size_t read_body(std::span<unsigned char> dst, bool& eof) = 0;
    /** Body bytes ready now (an upper bound is fine): sizes the room `read_body` gets. */
    virtual std::size_t body_ready() const noexcept { return static_cast<std::size_t>(-1); }
    /** After the last body byte: the trailers to send, or empty to end with the DATA frame. */
    virtual std::vector<header> take_trailers() = 0;
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
 * One HTTP/2 server connection's protocol state (libnghttp2), with no I/O of its own.
 *
 * The driver (`http2::serve`) feeds received bytes to `receive`, and sends what `produce`
 * yields when `write_signal()` fires. Flow control is manual: received DATA is
 * acknowledged (WINDOW_UPDATE) only through `consume`, so a slow handler holds back
 * its own peer.
 *
 * @par Thread Safety
 * Not thread-safe: everything runs on the connection's strand.
 */
class server_session
{
public:
    /** Creates the session and queues our SETTINGS and connection WINDOW_UPDATE. */
    server_session(asio::any_io_executor ex, const settings& cfg, dispatcher& d);
    ~server_session();

    server_session(const server_session&) = delete;
    server_session& operator=(const server_session&) = delete;

    /** Processes received bytes. Returns the first error (protocol or callback); the session
        is then finished except for sending what it queued (e.g. GOAWAY). */
    boost::system::error_code receive(std::span<const unsigned char> data);

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
    rpcplugin::detail::waiter& write_signal() noexcept { return write_signal_; }
    /** Wakes the writer. */
    void notify_write() { write_signal_.notify(); }

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

    /** Sends the graceful-shutdown GOAWAY (last stream id 2^31-1); streams keep running. */
    void shutdown_notice();
    /** Sends GOAWAY with the last processed stream id; later streams are refused. */
    void goaway(std::uint32_t error_code = 0);
    /** Sends GOAWAY and stops reading; the session ends once that is written. */
    void terminate(std::uint32_t error_code);
    /** Closes every stream's observer with `error_code` (the connection is going away). */
    void close_all_streams(std::uint32_t error_code);
    /** Number of open streams with an observer. */
    std::size_t active_streams() const noexcept { return streams_.size(); }

    // --- nghttp2 callback targets (see callbacks.cpp) --------------------------------------
    int on_begin_headers(const nghttp2_frame& frame) noexcept;
    int on_header(const nghttp2_frame& frame, std::span<const unsigned char> name,
                  std::span<const unsigned char> value) noexcept;
    int on_frame_recv(const nghttp2_frame& frame) noexcept;
    int on_data_chunk(std::int32_t id, std::span<const unsigned char> data) noexcept;
    int on_stream_close(std::int32_t id, std::uint32_t error_code) noexcept;
    int on_frame_send(const nghttp2_frame& frame) noexcept;
    long read_body(std::int32_t id, unsigned char* buf, std::size_t len,
                   std::uint32_t* flags) noexcept;
    int send_data(const nghttp2_frame& frame, const std::uint8_t* framehd,
                  std::size_t length) noexcept;

private:
    struct stream_slot;

    int fail(boost::system::error_code ec) noexcept;
    stream_slot* slot(std::int32_t id) const noexcept;

    const settings& cfg_;
    dispatcher& dispatcher_;
    nghttp2_session* session_ = nullptr;
    rpcplugin::detail::waiter write_signal_;
    std::unordered_map<std::int32_t, std::unique_ptr<stream_slot>> streams_;
    boost::system::error_code first_error_;
    bool preface_received_ = false;
    bool in_callback_ = false;
    detail::direct_data direct_;
};
} // namespace rpcplugin::http2
