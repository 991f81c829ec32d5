#pragma once

/**
 * @file
 * What a client and a server session share: one nghttp2 session in memory mode, the
 * write signal, the first error, the callback guard, the DATA provider and the stream
 * slots. Private to the http2 module.
 */

#include "http2/detail/callbacks.hpp"
#include "http2/detail/direct_data.hpp"
#include "rpcplugin/asio.hpp"
#include "rpcplugin/detail/waiter.hpp"
#include "rpcplugin/http2/settings.hpp"

#include <boost/system/error_code.hpp>
#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cassert>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace rpcplugin::http2
{
struct header;
}

namespace rpcplugin::http2::detail
{
/** Marks a session as inside libnghttp2 so that no driver call re-enters it. */
class callback_guard
{
public:
    explicit callback_guard(bool& flag) noexcept
        : flag_(flag)
    {
        assert(!flag_ && "receive/produce re-entered from a callback");
        flag_ = true;
    }
    ~callback_guard() { flag_ = false; }
    callback_guard(const callback_guard&) = delete;
    callback_guard& operator=(const callback_guard&) = delete;

private:
    bool& flag_;
};

/**
 * One nghttp2 session in memory mode and what goes with it; owned by a `client_session` or
 * a `server_session`, whose callbacks table (user data: the owner) it is created with.
 *
 * Flow control is manual (no automatic WINDOW_UPDATE): received DATA is acknowledged only
 * through `consume`. Not thread-safe: everything runs on the connection's strand.
 */
class session_core
{
public:
    enum class role
    {
        client,
        server,
    };

    /** Creates the nghttp2 session and queues our SETTINGS (and, for a client, the
        preface) and the connection window. Throws `std::bad_alloc` when nghttp2 cannot. */
    session_core(asio::any_io_executor ex, role r, const settings& cfg,
                 const session_callbacks& callbacks, void* user);
    ~session_core();

    session_core(const session_core&) = delete;
    session_core& operator=(const session_core&) = delete;

    nghttp2_session* get() const noexcept { return session_; }

    /** Hands `bytes` to nghttp2 (inside the callback guard). A callback's failure or
        nghttp2's own error becomes the first error; the ones nghttp2 answers without a
        GOAWAY (flooding, too many CONTINUATIONs, a bad client preface) get one. */
    boost::system::error_code feed(std::span<const unsigned char> bytes);
    /** Appends up to about `max` bytes of frames to `out` (DATA payloads go straight into
        `out`, see `direct_data`). */
    boost::system::error_code produce(std::vector<unsigned char>& out, std::size_t max);

    bool want_read() const noexcept { return nghttp2_session_want_read(session_) != 0; }
    bool want_write() const noexcept { return nghttp2_session_want_write(session_) != 0; }
    /** Frames nghttp2 holds for the socket (control frames and DATA in progress). */
    std::size_t outbound_queue() const noexcept
    {
        return nghttp2_session_get_outbound_queue_size(session_);
    }

    rpcplugin::detail::waiter& write_signal() noexcept { return write_signal_; }
    void notify_write() { write_signal_.notify(); }

    /** The first error the session met. */
    boost::system::error_code error() const noexcept { return first_error_; }
    /** Records `ec` unless an error is already recorded. */
    void set_error(boost::system::error_code ec) noexcept
    {
        if (!first_error_)
            first_error_ = ec;
    }
    /** For callbacks: records `ec` and returns NGHTTP2_ERR_CALLBACK_FAILURE. */
    int fail(boost::system::error_code ec) noexcept
    {
        set_error(ec);
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    }

    // --- streams --------------------------------------------------------------------------

    /** Submits `headers` as a response (server) with or without a body pulled through the
        session's data-source callback. Returns 0 or a negative nghttp2 error. */
    int submit_response(std::int32_t id, std::span<const header> headers, bool with_body);
    /** Submits a request (client) whose stream user data is `slot`; the stream id or a
        negative nghttp2 error. */
    std::int32_t submit_request(std::span<const header> headers, bool with_body, void* slot);
    /** Queues trailers after the body; true on success. */
    bool submit_trailer(std::int32_t id, std::span<const header> trailers);
    /** The body of a stream has more bytes ready. */
    bool resume(std::int32_t id);
    void reset(std::int32_t id, std::uint32_t error_code);
    void consume(std::int32_t id, std::size_t n);
    /** Acknowledges DATA nobody takes (a stream without an observer). */
    void discard(std::int32_t id, std::size_t n) { nghttp2_session_consume(session_, id, n); }
    bool remote_closed(std::int32_t id) const noexcept
    {
        return nghttp2_session_get_stream_remote_close(session_, id) != 0;
    }
    /** True while the stream exists and is neither idle nor closed. */
    bool stream_open(std::int32_t id) const noexcept;
    void* stream_data(std::int32_t id) const noexcept
    {
        return nghttp2_session_get_stream_user_data(session_, id);
    }
    void set_stream_data(std::int32_t id, void* data) noexcept
    {
        nghttp2_session_set_stream_user_data(session_, id, data);
    }

    // --- connection -----------------------------------------------------------------------

    /** Queues GOAWAY with the last processed stream id, `code` and `debug` data. */
    void submit_goaway(std::uint32_t code, std::string_view debug = {});
    /** Queues GOAWAY(`code`) and ends the session once it is written. */
    void terminate(std::uint32_t code);
    bool submit_ping(const std::uint8_t (&opaque)[8]);

    // --- the DATA provider ------------------------------------------------------------------

    /**
     * The body of a DATA frame (nghttp2's read callback): inside `produce` the payload goes
     * straight into the batch, with room for what `src.body_ready()` says is ready. Returns
     * the bytes `src.read_body` wrote and sets `eof` after the last. May throw what the
     * source throws; the caller then calls `abandon`.
     */
    template <class Source>
    std::size_t pull(Source& src, std::uint8_t* buf, std::size_t len, std::uint32_t* flags,
                     bool& eof)
    {
        if (!direct_.active())
            return src.read_body({buf, len}, eof);
        // Room for what is ready only: resizing the batch zero-fills the room.
        const std::size_t room = std::min(len, src.body_ready());
        std::size_t n = src.read_body(direct_.begin_frame(room), eof);
        direct_.end_frame(n);
        *flags |= NGHTTP2_DATA_FLAG_NO_COPY;
        return n;
    }
    /** Drops the frame `pull` began (the body failed), so that no half frame goes out. */
    void abandon() noexcept { direct_.abandon(); }
    /** nghttp2's send_data callback for a frame `pull` wrote directly. */
    int send_data(const nghttp2_frame& frame, const std::uint8_t* framehd,
                  std::size_t length) noexcept
    {
        return direct_.send(frame, framehd, length);
    }

private:
    const session_callbacks& callbacks_;
    nghttp2_session* session_ = nullptr;
    rpcplugin::detail::waiter write_signal_;
    boost::system::error_code first_error_;
    bool in_callback_ = false;
    direct_data direct_;
};

/**
 * The slots of a session's streams, owned here and attached to nghttp2 as stream user
 * data, so that callbacks find a stream's slot without a lookup of their own.
 */
template <class Slot>
class stream_table
{
public:
    using map = std::unordered_map<std::int32_t, std::unique_ptr<Slot>>;

    /** The slot of stream `id`, or nullptr. */
    Slot* find(const session_core& core, std::int32_t id) const noexcept
    {
        return static_cast<Slot*>(core.stream_data(id));
    }

    /** DATA with END_STREAM arrived on stream `id`: its observer, if any, is told. */
    void end_stream(const session_core& core, std::int32_t id) const
    {
        if (Slot* s = find(core, id); s && s->observer)
            s->observer->on_end_stream();
    }

    /** The slot whose body nghttp2 pulls for stream `id`; nullptr when the stream or its
        observer is gone, with the body ended (EOF in `flags`). */
    Slot* body_source(const session_core& core, std::int32_t id,
                      std::uint32_t* flags) const noexcept
    {
        Slot* s = find(core, id);
        if (s && s->observer)
            return s;
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        return nullptr;
    }

    /** Owns `slot` for stream `id`; with `attach`, sets it as the stream's user data. */
    Slot& add(session_core& core, std::int32_t id, std::unique_ptr<Slot> slot, bool attach = true)
    {
        Slot& s = *slot;
        if (attach)
            core.set_stream_data(id, &s);
        slots_.emplace(id, std::move(slot));
        return s;
    }

    /** Removes stream `id`'s slot (the stream closed) and hands it over; nullptr if none. */
    std::unique_ptr<Slot> take(session_core& core, std::int32_t id)
    {
        auto it = slots_.find(id);
        if (it == slots_.end())
            return nullptr;
        auto s = std::move(it->second);
        slots_.erase(it);
        core.set_stream_data(id, nullptr);
        return s;
    }

    /** Removes every slot and hands them over (the connection is going away). */
    map take_all(session_core& core)
    {
        auto all = std::move(slots_);
        slots_.clear();
        for (auto& [id, s] : all)
            core.set_stream_data(id, nullptr);
        return all;
    }

    std::size_t size() const noexcept { return slots_.size(); }
    bool empty() const noexcept { return slots_.empty(); }
    typename map::iterator begin() noexcept { return slots_.begin(); }
    typename map::iterator end() noexcept { return slots_.end(); }

private:
    map slots_;
};
} // namespace rpcplugin::http2::detail
