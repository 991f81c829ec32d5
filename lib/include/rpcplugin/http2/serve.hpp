#pragma once

/**
 * @file
 * The Asio driver of a server session: a read loop and a write loop over one stream.
 */

#include "rpcplugin/asio.hpp"
#include "rpcplugin/http2/client_session.hpp"
#include "rpcplugin/http2/server_session.hpp"
#include "rpcplugin/http2/settings.hpp"
#include "rpcplugin/transport/error.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/write.hpp>

#include <nghttp2/nghttp2.h>

#include <chrono>
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

    void set_error(boost::system::error_code ec) noexcept
    {
        if (!error)
            error = ec;
    }
};

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
    asio::steady_timer preface_timer(co_await asio::this_coro::executor, deadline);
    while (!st.reader_done && h2.want_read())
    {
        if (cs.cancelled() != asio::cancellation_type::none)
        {
            st.set_error(asio::error::operation_aborted);
            break;
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
                h2.terminate(NGHTTP2_SETTINGS_TIMEOUT); // GOAWAY, flushed by the writer
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
        if (auto e = h2.receive({buf.data(), n}))
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
        auto [wec, n] = co_await asio::async_write(stream, asio::buffer(out), use_tuple);
        if (wec)
        {
            st.set_error(wec);
            break;
        }
        if (ec)
            break;
    }
    // Ends the read loop if it is still waiting for bytes.
    stream.close();
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
 * Completes with the first error (EOF and a clean close are `asio::error::eof` or success).
 * Cancellation: terminal cancellation of the awaiting coroutine ends both loops; the
 * handlers of open streams are cancelled.
 */
template <class AsyncStream, class Session>
asio::awaitable<boost::system::error_code> serve(AsyncStream& stream, Session& h2,
                                                 const settings& cfg,
                                                 std::span<const unsigned char> initial = {},
                                                 std::optional<std::chrono::steady_clock::time_point>
                                                     preface_deadline = std::nullopt)
{
    auto deadline = preface_deadline.value_or(std::chrono::steady_clock::now() + cfg.preface_timeout);
    using namespace asio::experimental::awaitable_operators;
    // write_loop may run on this coroutine's own thread (below); restore its setting.
    bool prev_throw = co_await asio::this_coro::throw_if_cancelled();
    detail::serve_state st;
    if (!initial.empty())
    {
        if (auto ec = h2.receive(initial))
        {
            st.set_error(ec);
            st.reader_done = true;
            h2.close_all_streams(connection_lost);
        }
    }
    if (st.reader_done)
        co_await detail::write_loop(stream, h2, cfg, st);
    else
        co_await (detail::read_loop(stream, h2, cfg, st, deadline) &&
                  detail::write_loop(stream, h2, cfg, st));
    co_await asio::this_coro::throw_if_cancelled(prev_throw);
    co_return st.error;
}
} // namespace rpcplugin::http2
