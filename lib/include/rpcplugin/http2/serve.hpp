#pragma once

/**
 * @file
 * The Asio driver of a server session: a read loop and a write loop over one stream.
 */

#include "rpcplugin/asio.hpp"
#include "rpcplugin/http2/client_session.hpp"
#include "rpcplugin/http2/error.hpp"
#include "rpcplugin/http2/server_session.hpp"
#include "rpcplugin/http2/settings.hpp"
#include "rpcplugin/transport/error.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>

#include <chrono>
#include <concepts>
#include <optional>
#include <span>
#include <vector>

namespace rpcplugin::http2
{
namespace detail
{
struct serve_state
{
    boost::system::error_code error;
    bool reader_done = false;
    bool writer_done = false;
    /** A socket write is under way; `last_progress` is when bytes last went out. */
    bool write_pending = false;
    std::chrono::steady_clock::time_point last_progress{};
    /** The watchdog's timer while it runs (the writer cancels it when it ends). */
    asio::steady_timer* watchdog = nullptr;

    void set_error(boost::system::error_code ec) noexcept
    {
        if (!error)
            error = ec;
    }
};

/** Sessions with read pausing and timers (server sessions). */
template <class Session>
concept guarded_session = requires(Session& s, std::chrono::steady_clock::time_point now)
{
    {
        s.receive(std::span<const unsigned char>(), now)
        } -> std::convertible_to<boost::system::error_code>;
    {
        s.read_blocked()
        } -> std::convertible_to<bool>;
    {
        s.input_pending()
        } -> std::convertible_to<bool>;
    s.read_signal();
    {
        s.on_timer(now)
        } -> std::convertible_to<boost::system::error_code>;
    {
        s.timer_interval()
        } -> std::convertible_to<std::chrono::milliseconds>;
};

// Hands received bytes to the session; a server session is given the time with them.
template <class Session>
boost::system::error_code receive(Session& h2, std::span<const unsigned char> data)
{
    if constexpr (guarded_session<Session>)
        return h2.receive(data, std::chrono::steady_clock::now());
    else
        return h2.receive(data);
}

// Slicing (settings::read_slice) applies to a server session that is not holding input
// back (handler quota, outbound queue): then what is left of a read goes in at once, to be
// kept by the session, as without slicing. A client gains nothing from it.
template <class Session>
bool may_slice(const Session& h2) noexcept
{
    if constexpr (guarded_session<Session>)
        return !h2.read_blocked() && !h2.input_pending();
    else
        return false;
}

// Requests a server session started so far; 0 for a client.
template <class Session>
std::uint64_t started(const Session& h2) noexcept
{
    if constexpr (guarded_session<Session>)
        return h2.requests_started();
    else
        return 0;
}

template <class AsyncStream, class Session>
asio::awaitable<void> read_loop(AsyncStream& stream, Session& h2, const settings& cfg,
                                serve_state& st, std::chrono::steady_clock::time_point deadline)
{
    using namespace asio::experimental::awaitable_operators;
    // Cancellation ends the loop through error codes and the check below, never by an
    // exception from the next co_await: the clean-up after the loop must run.
    co_await asio::this_coro::throw_if_cancelled(false);
    auto cs = co_await asio::this_coro::cancellation_state;
    std::vector<unsigned char> buf(cfg.read_buffer);
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer preface_timer(ex, deadline);
    while (!st.reader_done && !st.writer_done && h2.want_read())
    {
        if (cs.cancelled() != asio::cancellation_type::none)
        {
            st.set_error(asio::error::operation_aborted);
            break;
        }
        if constexpr (guarded_session<Session>)
        {
            // Backpressure: no reading while the handler quota is full (and the next frame
            // opens a stream) or the outbound queue is long.
            if (h2.read_blocked())
            {
                auto [wec] = co_await h2.read_signal().async_wait(use_tuple);
                if (wec)
                {
                    st.set_error(wec);
                    break;
                }
                continue;
            }
            if (h2.input_pending())
            {
                if (auto e = receive(h2, {}))
                {
                    st.set_error(e);
                    break;
                }
                continue;
            }
        }
        boost::system::error_code ec;
        std::size_t n = 0;
        if (!h2.preface_received())
        {
            auto r = co_await (stream.async_read_some(asio::buffer(buf), use_tuple) ||
                               preface_timer.async_wait(use_tuple));
            if (r.index() == 1)
            {
                st.set_error(transport::errc::handshake_timeout);
                h2.terminate(code::settings_timeout); // GOAWAY, flushed by the writer
                break;
            }
            std::tie(ec, n) = std::get<0>(r);
        }
        else
            std::tie(ec, n) = co_await stream.async_read_some(asio::buffer(buf), use_tuple);
        if (ec)
        {
            st.set_error(ec);
            break;
        }
        // Large reads go in slices, with the handlers a slice started and the writer they
        // woke running before the next one (see settings::read_slice).
        std::span<const unsigned char> input(buf.data(), n);
        boost::system::error_code e;
        while (!e && !input.empty())
        {
            std::size_t take = input.size();
            if (cfg.read_slice > 0 && take > cfg.read_slice && may_slice(h2))
                take = cfg.read_slice;
            const auto before = started(h2);
            e = receive(h2, input.first(take));
            input = input.subspan(take);
            // Only a slice that started requests has work worth running before the rest.
            if (!e && !input.empty() && started(h2) != before)
            {
                // Twice: once for the handlers the slice queued, once for the writer they woke.
                co_await asio::post(ex, asio::use_awaitable);
                co_await asio::post(ex, asio::use_awaitable);
                if (st.reader_done || st.writer_done)
                    break;
            }
        }
        if (e)
        {
            st.set_error(e);
            break;
        }
    }
    st.reader_done = true;
    // Nothing more will arrive: the handlers of open streams are cancelled now.
    h2.close_all_streams(connection_lost);
    h2.notify_write();
}

template <class AsyncStream, class Session>
asio::awaitable<void> write_loop(AsyncStream& stream, Session& h2, const settings& cfg,
                                 serve_state& st)
{
    // As in read_loop: cancellation must not skip `stream.close()`.
    co_await asio::this_coro::throw_if_cancelled(false);
    auto cs = co_await asio::this_coro::cancellation_state;
    std::vector<unsigned char> out;
    out.reserve(cfg.write_batch + 16 * 1024 + 64);
    for (;;)
    {
        if (cs.cancelled() != asio::cancellation_type::none)
        {
            st.set_error(asio::error::operation_aborted);
            break;
        }
        out.clear();
        auto ec = h2.produce(out, cfg.write_batch);
        if (ec)
            st.set_error(ec);
        if (out.empty())
        {
            if (ec || st.reader_done || (!h2.want_read() && !h2.want_write()))
                break;
            auto [wec] = co_await h2.write_signal().async_wait(use_tuple);
            if (wec && !st.reader_done)
            {
                st.set_error(wec);
                break;
            }
            continue;
        }
        // Write piece by piece so that the watchdog sees progress (or its absence).
        st.write_pending = true;
        st.last_progress = std::chrono::steady_clock::now();
        boost::system::error_code wec;
        for (std::size_t done = 0; done < out.size() && !wec;)
        {
            std::size_t n = 0;
            std::tie(wec, n) = co_await stream.async_write_some(
                asio::buffer(out.data() + done, out.size() - done), use_tuple);
            done += n;
            st.last_progress = std::chrono::steady_clock::now();
        }
        st.write_pending = false;
        if (wec)
        {
            st.set_error(wec);
            break;
        }
        if (ec)
            break;
    }
    st.writer_done = true;
    if (st.watchdog)
        st.watchdog->cancel();
    if constexpr (guarded_session<Session>)
        h2.read_signal().notify(); // a reader waiting for backpressure ends too
    // Ends the read loop if it is still waiting for bytes.
    stream.close();
}

/**
 * The timers of a connection: a socket write that makes no progress for
 * `write_stall_timeout` closes the stream; the session's own timers run every
 * `timer_interval()`. Ends with the write loop.
 */
template <class AsyncStream, class Session>
asio::awaitable<void> watchdog(AsyncStream& stream, Session& h2, const settings& cfg,
                               serve_state& st)
{
    co_await asio::this_coro::throw_if_cancelled(false);
    auto cs = co_await asio::this_coro::cancellation_state;
    asio::steady_timer timer(co_await asio::this_coro::executor);
    st.watchdog = &timer;
    while (!st.writer_done && cs.cancelled() == asio::cancellation_type::none)
    {
        auto now = std::chrono::steady_clock::now();
        if (cfg.write_stall_timeout.count() > 0 && st.write_pending &&
            now - st.last_progress >= cfg.write_stall_timeout)
        {
            st.set_error(errc::write_stalled);
            h2.close_all_streams(connection_lost);
            stream.close(); // the pending write fails; both loops end
            break;
        }
        if (auto ec = h2.on_timer(now))
            st.set_error(ec);
        timer.expires_after(h2.timer_interval());
        co_await timer.async_wait(use_tuple);
    }
    st.watchdog = nullptr;
}
} // namespace detail

/**
 * Drives one HTTP/2 connection (a `server_session` or a `client_session`) until both sides
 * are done: the peer closed or failed, the
 * session finished after a GOAWAY, or a protocol error ended it (after sending its GOAWAY).
 *
 * `initial` holds bytes already read from the stream (for example by protocol detection).
 * The peer's first SETTINGS frame must arrive before `preface_deadline` (default: now plus
 * `cfg.preface_timeout`); otherwise the session ends with GOAWAY(SETTINGS_TIMEOUT) and
 * `transport::errc::handshake_timeout`. The stream must have `close()`; it is closed on
 * return.
 *
 * For a `server_session` the driver also applies backpressure (no reading while the
 * session's `read_blocked()`) and runs a watchdog: a socket write without progress for
 * `cfg.write_stall_timeout` closes the connection (`errc::write_stalled`), and the session's
 * `on_timer` runs every `timer_interval()`.
 *
 * Completes with the first error (EOF and a clean close are `asio::error::eof` or success).
 * Cancellation: terminal cancellation of the awaiting coroutine ends both loops; the
 * handlers of open streams are cancelled.
 */
template <class AsyncStream, class Session>
asio::awaitable<boost::system::error_code>
serve(AsyncStream& stream, Session& h2, const settings& cfg,
      std::span<const unsigned char> initial = {},
      std::optional<std::chrono::steady_clock::time_point> preface_deadline = std::nullopt)
{
    auto deadline =
        preface_deadline.value_or(std::chrono::steady_clock::now() + cfg.preface_timeout);
    using namespace asio::experimental::awaitable_operators;
    // write_loop may run on this coroutine's own thread (below); restore its setting.
    bool prev_throw = co_await asio::this_coro::throw_if_cancelled();
    detail::serve_state st;
    if (!initial.empty())
    {
        if (auto ec = detail::receive(h2, initial))
        {
            st.set_error(ec);
            st.reader_done = true;
            h2.close_all_streams(connection_lost);
        }
    }
    if constexpr (detail::guarded_session<Session>)
    {
        if (st.reader_done)
            co_await (detail::write_loop(stream, h2, cfg, st) &&
                      detail::watchdog(stream, h2, cfg, st));
        else
            co_await (detail::read_loop(stream, h2, cfg, st, deadline) &&
                      detail::write_loop(stream, h2, cfg, st) &&
                      detail::watchdog(stream, h2, cfg, st));
    }
    else
    {
        if (st.reader_done)
            co_await detail::write_loop(stream, h2, cfg, st);
        else
            co_await (detail::read_loop(stream, h2, cfg, st, deadline) &&
                      detail::write_loop(stream, h2, cfg, st));
    }
    co_await asio::this_coro::throw_if_cancelled(prev_throw);
    co_return st.error;
}
} // namespace rpcplugin::http2
