// The server session's protections: frame inspection before nghttp2 (read pausing, stream
// ids, the glitch budget), the request-buffer limit, and the timers. Time comes only from
// `receive` and `on_timer`.
#include "http2/detail/server_state.hpp"
#include "rpcplugin/http2/error.hpp"
#include "rpcplugin/http2/server_session.hpp"

#include <nghttp2/nghttp2.h>

#include <algorithm>

namespace rpcplugin::http2
{
using boost::system::error_code;

// --- input inspection -------------------------------------------------------------------------

error_code server_session::process(std::span<const unsigned char> input)
{
    auto& split = guard_->splitter;
    std::size_t pos = 0;
    while (!core_->error())
    {
        if (std::size_t n = split.passthrough(); n > 0)
        {
            if (pos == input.size())
                break;
            n = std::min(n, input.size() - pos);
            if (auto ec = core_->feed(input.subspan(pos, n)))
                return ec;
            split.passed(n);
            pos += n;
            continue;
        }
        if (!split.header_ready())
        {
            if (pos == input.size())
                break;
            pos += split.collect(input.subspan(pos));
            continue;
        }
        auto v = inspect();
        if (v == verdict::stop)
            break;
        if (v == verdict::pause)
        {
            guard_->pending.assign(input.begin() + static_cast<std::ptrdiff_t>(pos), input.end());
            break;
        }
        if (auto ec = core_->feed(split.header_bytes()))
            return ec;
        split.header_passed();
    }
    return core_->error();
}

bool server_session::header_held() const noexcept
{
    return guard_->splitter.passthrough() == 0 && guard_->splitter.header_ready();
}

bool server_session::outbound_full() const noexcept
{
    return core_->outbound_queue() > cfg_.max_outbound_frames;
}

bool server_session::opens_stream_over_quota() const noexcept
{
    if (!header_held())
        return false;
    const auto& h = guard_->splitter.header();
    // Only while some handler outlives its stream: with every slot tied to an open stream,
    // nghttp2 refuses the new stream itself (REFUSED_STREAM or PROTOCOL_ERROR), and
    // pausing would only stall the connection.
    auto quota = std::max<std::uint32_t>(1, cfg_.max_concurrent_streams);
    return h.type == NGHTTP2_HEADERS && (h.stream_id & 1) != 0 && guard_->ids.is_new(h.stream_id) &&
           !goaway_sent_ && handlers_->running >= quota && streams_->size() < quota;
}

bool server_session::read_blocked() const noexcept
{
    if (core_->error())
        return false;
    return outbound_full() || opens_stream_over_quota() || guard_->goaways_unsent > 0;
}

// Looks at the next frame's header before nghttp2 does: pauses, glitches, stream ids.
server_session::verdict server_session::inspect()
{
    if (outbound_full() || opens_stream_over_quota() || guard_->goaways_unsent > 0)
        return verdict::pause;
    auto& g = *guard_;
    const auto& h = g.splitter.header();
    bool suspicious = false;
    switch (h.type)
    {
    case NGHTTP2_HEADERS: return inspect_headers(h.stream_id);
    case NGHTTP2_DATA:
    case NGHTTP2_RST_STREAM:
    case NGHTTP2_WINDOW_UPDATE:
        // Frames on streams already closed (ids above every opened one are nghttp2's
        // connection errors).
        suspicious =
            h.stream_id != 0 && h.stream_id <= g.ids.highest() && !core_->stream_open(h.stream_id);
        break;
    case NGHTTP2_PRIORITY:
        suspicious = true; // gRPC clients never send it
        break;
    case NGHTTP2_SETTINGS:
        if (h.has(NGHTTP2_FLAG_ACK))
            suspicious = ++g.settings_acks_received > 1; // we send one SETTINGS frame
        else
            suspicious = ++g.settings_received > 1;
        break;
    case NGHTTP2_PING:
        suspicious = h.has(NGHTTP2_FLAG_ACK) && !g.keepalive_sent && !shutdown_ping_sent_;
        break;
    case NGHTTP2_CONTINUATION:
    case NGHTTP2_GOAWAY:
    case NGHTTP2_PUSH_PROMISE: // a connection error in nghttp2
        break;
    default:
        suspicious = true; // extension frames nghttp2 ignores
        break;
    }
    if (suspicious && !glitch())
        return verdict::stop;
    return verdict::pass;
}

server_session::verdict server_session::inspect_headers(std::int32_t id)
{
    auto& ids = guard_->ids;
    if ((id & 1) == 0)
        return verdict::pass; // nghttp2 answers an even id with a connection error
    if (ids.is_new(id))
    {
        ids.use(id);
        return verdict::pass;
    }
    if (ids.never_opened(id))
    {
        end_connection(NGHTTP2_PROTOCOL_ERROR, "HEADERS on a lower, never-opened stream id",
                       errc::stream_id_skipped);
        return verdict::stop;
    }
    if (!core_->stream_open(id) && !glitch())
        return verdict::stop;
    return verdict::pass;
}

bool server_session::glitch() noexcept
{
    if (guard_->glitches.take(guard_->latest))
        return true;
    end_connection(NGHTTP2_ENHANCE_YOUR_CALM, "too_many_glitches", errc::too_many_glitches);
    return false;
}

void server_session::end_connection(std::uint32_t code, std::string_view debug, error_code ec)
{
    if (!core_->error())
    {
        core_->submit_goaway(code, debug);
        ++guard_->goaways_unsent;
        goaway_sent_ = true;
        core_->set_error(ec);
    }
    notify_write();
}

// --- request buffers ------------------------------------------------------------------------

// Keeps the total of buffered request bytes; the stream whose data crosses the limit is
// reset (ENHANCE_YOUR_CALM). The running total only grows with fresh numbers; before
// resetting anyone it is recounted, since handlers take bytes without telling.
void server_session::account_buffer(std::int32_t id, detail::server_stream& s)
{
    if (cfg_.max_request_buffer == 0)
        return;
    auto& total = guard_->buffered;
    std::size_t now = s.observer->buffered_bytes();
    total = total - std::min(total, s.buffered) + now;
    s.buffered = now;
    if (total <= cfg_.max_request_buffer)
        return;
    total = 0;
    for (auto& [other_id, other] : *streams_)
    {
        other->buffered = other->observer && !other->shed ? other->observer->buffered_bytes() : 0;
        total += other->buffered;
    }
    if (total <= cfg_.max_request_buffer)
        return;
    s.shed = true;
    reset(id, NGHTTP2_ENHANCE_YOUR_CALM);
}

// --- idleness -------------------------------------------------------------------------------

bool server_session::idle() const noexcept
{
    return streams_->empty() && handlers_->running == 0;
}

// A stream closed or a handler returned: when that leaves the connection idle, idleness
// counts from the time of the call in progress, or from the next timer when none is.
void server_session::stream_closed() noexcept
{
    if (!idle())
        return;
    if (guard_->now)
        guard_->idle_since = *guard_->now;
    else
        guard_->idle_untimed = true;
}

void server_session::handler_done() noexcept
{
    stream_closed();
    read_signal_.notify();
}

// --- timers -------------------------------------------------------------------------------------

std::chrono::milliseconds server_session::timer_interval() const noexcept
{
    using std::chrono::milliseconds;
    milliseconds shortest = milliseconds::max();
    for (auto t : {cfg_.write_stall_timeout, cfg_.idle_timeout, cfg_.max_connection_age,
                   cfg_.max_connection_age_grace, cfg_.keepalive_time, cfg_.keepalive_timeout})
        if (t.count() > 0)
            shortest = std::min(shortest, t);
    return std::clamp(shortest / 8, milliseconds(10), milliseconds(1000));
}

error_code server_session::on_timer(clock::time_point now)
{
    if (core_->error())
        return {};
    guard_->begin(now);
    struct end_call
    {
        detail::protections& g;
        ~end_call() { g.end(); }
    } ending{*guard_};
    if (guard_->idle_untimed)
    {
        guard_->idle_untimed = false;
        if (idle())
            guard_->idle_since = now;
    }
    reset_stalled_streams(now);
    check_idle(now);
    if (auto ec = check_age(now))
        return ec;
    return check_keepalive(now);
}

// Responses stalled on the peer's flow-control window.
void server_session::reset_stalled_streams(clock::time_point now)
{
    if (cfg_.write_stall_timeout.count() <= 0)
        return;
    nghttp2_session* ng = core_->get();
    std::int32_t conn_window = nghttp2_session_get_remote_window_size(ng);
    for (auto& [id, s] : *streams_)
    {
        bool blocked =
            s->sending &&
            std::min(conn_window, nghttp2_session_get_stream_remote_window_size(ng, id)) <= 0;
        if (!blocked)
            s->blocked_since.reset();
        else if (!s->blocked_since)
            s->blocked_since = now;
        else if (now - *s->blocked_since >= cfg_.write_stall_timeout)
        {
            s->blocked_since.reset();
            s->sending = false;
            reset(id, NGHTTP2_CANCEL);
        }
    }
}

// Idle connection: GOAWAY(NO_ERROR); the driver closes once it is written.
bool server_session::check_idle(clock::time_point now)
{
    if (cfg_.idle_timeout.count() <= 0 || goaway_sent_ || !idle() ||
        now - guard_->idle_since < cfg_.idle_timeout)
        return false;
    core_->submit_goaway(NGHTTP2_NO_ERROR, "idle");
    goaway_sent_ = true;
    return true;
}

// Connection age: shutdown notice, final GOAWAY a little later, close after the grace.
error_code server_session::check_age(clock::time_point now)
{
    if (cfg_.max_connection_age.count() <= 0)
        return {};
    auto& g = *guard_;
    auto age = now - *g.created;
    if (!g.age_notice_sent && age >= cfg_.max_connection_age)
    {
        g.age_notice_sent = now;
        shutdown_notice();
    }
    else if (g.age_notice_sent && !g.age_goaway_sent &&
             now - *g.age_notice_sent >= std::chrono::milliseconds(std::min<long long>(
                                             1000, cfg_.max_connection_age.count())))
    {
        g.age_goaway_sent = true;
        core_->submit_goaway(NGHTTP2_NO_ERROR, "max_age");
        goaway_sent_ = true;
    }
    if (cfg_.max_connection_age_grace.count() > 0 &&
        age >= cfg_.max_connection_age + cfg_.max_connection_age_grace)
    {
        terminate(NGHTTP2_NO_ERROR);
        core_->set_error(errc::connection_too_old);
        return core_->error();
    }
    return {};
}

// Keepalive: PING a silent peer; no ACK in time ends the connection.
error_code server_session::check_keepalive(clock::time_point now)
{
    if (cfg_.keepalive_time.count() <= 0)
        return {};
    auto& g = *guard_;
    if (g.keepalive_sent && cfg_.keepalive_timeout.count() > 0 &&
        now - *g.keepalive_sent >= cfg_.keepalive_timeout)
    {
        terminate(NGHTTP2_NO_ERROR);
        core_->set_error(errc::keepalive_timeout);
        return core_->error();
    }
    if (!g.keepalive_sent && now - g.last_received >= cfg_.keepalive_time &&
        core_->submit_ping(detail::keepalive_ping_data))
    {
        g.keepalive_sent = now;
        notify_write();
    }
    return {};
}
} // namespace rpcplugin::http2
