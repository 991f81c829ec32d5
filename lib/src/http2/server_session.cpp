#include "rpcplugin/http2/server_session.hpp"

#include "http2/detail/callbacks.hpp"
#include "http2/detail/frame_splitter.hpp"
#include "http2/detail/glitch_budget.hpp"
#include "http2/detail/nv.hpp"
#include "http2/detail/ping_policy.hpp"
#include "http2/detail/stream_ids.hpp"
#include "rpcplugin/http2/error.hpp"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cassert>
#include <cstring>
#include <limits>
#include <new>

namespace rpcplugin::http2
{
using boost::system::error_code;

namespace detail
{
/** The handler count shared by a session and its `handler_slot`s. */
struct handler_count
{
    std::size_t running = 0;
    /** Cleared when the session goes away. */
    server_session* session = nullptr;
};
} // namespace detail

struct server_session::stream_slot
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

// --- handler_slot ------------------------------------------------------------------------------

handler_slot::handler_slot(std::shared_ptr<detail::handler_count> count) noexcept
    : count_(std::move(count))
{
}

handler_slot::handler_slot(handler_slot&& other) noexcept = default;

handler_slot& handler_slot::operator=(handler_slot&& other) noexcept
{
    if (this != &other)
    {
        release();
        count_ = std::move(other.count_);
    }
    return *this;
}

handler_slot::~handler_slot()
{
    release();
}

void handler_slot::release() noexcept
{
    auto c = std::move(count_);
    count_.reset();
    if (!c)
        return;
    --c->running;
    if (c->session)
        c->session->handler_done();
}

namespace
{
// Opaque data of the PING sent with the shutdown notice.
constexpr std::uint8_t shutdown_ping_data[8] = {'s', 'h', 'u', 't', 'd', 'o', 'w', 'n'};

std::string_view as_sv(std::span<const unsigned char> s) noexcept
{
    return {reinterpret_cast<const char*>(s.data()), s.size()};
}

// Marks the session as inside libnghttp2 so that no driver call re-enters it.
class callback_scope
{
public:
    explicit callback_scope(bool& flag) noexcept
        : flag_(flag)
    {
        assert(!flag_ && "receive/produce re-entered from a callback");
        flag_ = true;
    }
    ~callback_scope() { flag_ = false; }
    callback_scope(const callback_scope&) = delete;
    callback_scope& operator=(const callback_scope&) = delete;

private:
    bool& flag_;
};
} // namespace

namespace
{
constexpr std::string_view keepalive_opaque = "rpcplugk";
} // namespace

server_session::server_session(asio::any_io_executor ex, const settings& cfg, dispatcher& d)
    : cfg_(cfg)
    , dispatcher_(d)
    , write_signal_(ex)
    , read_signal_(ex)
    , splitter_(std::make_unique<detail::frame_splitter>(NGHTTP2_CLIENT_MAGIC_LEN))
    , ids_(std::make_unique<detail::stream_ids>())
    , handlers_(std::make_shared<detail::handler_count>())
    , created_(clock::now())
    , idle_since_(created_)
    , last_received_(created_)
{
    glitches_ = std::make_unique<detail::glitch_budget>(cfg.glitch_burst, cfg.glitch_rate, created_);
    pings_ = std::make_unique<detail::ping_policy>(cfg.min_ping_interval, cfg.max_ping_strikes,
                                                   cfg.permit_ping_without_calls);
    handlers_->session = this;
    nghttp2_option* opt = nullptr;
    if (nghttp2_option_new(&opt) != 0)
        throw std::bad_alloc();
    nghttp2_option_set_no_auto_window_update(opt, 1);
    nghttp2_option_set_max_continuations(opt, cfg.max_continuations);
    nghttp2_option_set_stream_reset_rate_limit(opt, cfg.reset_burst, cfg.reset_rate);
    int rv = nghttp2_session_server_new2(&session_, detail::server_callbacks(), this, opt);
    nghttp2_option_del(opt);
    if (rv != 0)
        throw std::bad_alloc();

    const nghttp2_settings_entry entries[] = {
        {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, cfg.max_concurrent_streams},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, cfg.max_header_list_size},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, cfg.stream_window},
    };
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, entries, std::size(entries));
    if (cfg.connection_window > NGHTTP2_INITIAL_CONNECTION_WINDOW_SIZE)
        nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                              static_cast<int32_t>(cfg.connection_window));
}

server_session::~server_session()
{
    handlers_->session = nullptr;
    close_all_streams(NGHTTP2_CANCEL);
    nghttp2_session_del(session_);
}

// --- input ------------------------------------------------------------------------------------

error_code server_session::receive(std::span<const unsigned char> data)
{
    if (!data.empty())
        last_received_ = clock::now();
    error_code ec;
    if (pending_.empty())
        ec = process(data);
    else
    {
        auto input = std::move(pending_);
        pending_.clear();
        input.insert(input.end(), data.begin(), data.end());
        ec = process(input);
    }
    notify_write();
    return ec;
}

error_code server_session::process(std::span<const unsigned char> input)
{
    std::size_t pos = 0;
    auto now = clock::now();
    while (!first_error_)
    {
        if (std::size_t n = splitter_->passthrough(); n > 0)
        {
            if (pos == input.size())
                break;
            n = std::min(n, input.size() - pos);
            if (auto ec = feed(input.subspan(pos, n)))
                return ec;
            splitter_->passed(n);
            pos += n;
            continue;
        }
        if (!splitter_->header_ready())
        {
            if (pos == input.size())
                break;
            pos += splitter_->collect(input.subspan(pos));
            continue;
        }
        auto v = inspect(now);
        if (v == verdict::stop)
            break;
        if (v == verdict::pause)
        {
            pending_.assign(input.begin() + static_cast<std::ptrdiff_t>(pos), input.end());
            break;
        }
        if (auto ec = feed(splitter_->header_bytes()))
            return ec;
        splitter_->header_passed();
    }
    return first_error_;
}

error_code server_session::feed(std::span<const unsigned char> bytes)
{
    ssize_t rv;
    {
        callback_scope scope(in_callback_);
        rv = nghttp2_session_mem_recv(session_, bytes.data(), bytes.size());
    }
    if (first_error_)
        return first_error_;
    if (rv < 0)
    {
        // nghttp2's own limits end the session without a GOAWAY; say why.
        if (rv == NGHTTP2_ERR_FLOODED || rv == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS)
            nghttp2_session_terminate_session(session_, NGHTTP2_ENHANCE_YOUR_CALM);
        first_error_ = make_nghttp2_error(static_cast<int>(rv));
        return first_error_;
    }
    return {};
}

bool server_session::header_held() const noexcept
{
    return splitter_->passthrough() == 0 && splitter_->header_ready();
}

bool server_session::outbound_full() const noexcept
{
    return nghttp2_session_get_outbound_queue_size(session_) > cfg_.max_outbound_frames;
}

bool server_session::opens_stream_over_quota() const noexcept
{
    if (!header_held())
        return false;
    const auto& h = splitter_->header();
    // Only while some handler outlives its stream: with every slot tied to an open stream,
    // nghttp2 refuses the new stream itself (REFUSED_STREAM or PROTOCOL_ERROR), and
    // pausing would only stall the connection.
    auto quota = std::max<std::uint32_t>(1, cfg_.max_concurrent_streams);
    return h.type == NGHTTP2_HEADERS && (h.stream_id & 1) != 0 && ids_->is_new(h.stream_id) &&
           !goaway_sent_ && handlers_->running >= quota && streams_.size() < quota;
}

bool server_session::read_blocked() const noexcept
{
    if (first_error_)
        return false;
    return outbound_full() || opens_stream_over_quota();
}

bool server_session::stream_open(std::int32_t id) const noexcept
{
    nghttp2_stream* s = nghttp2_session_find_stream(session_, id);
    if (!s)
        return false;
    auto state = nghttp2_stream_get_state(s);
    return state != NGHTTP2_STREAM_STATE_CLOSED && state != NGHTTP2_STREAM_STATE_IDLE;
}

// Looks at the next frame's header before nghttp2 does: pauses, glitches, stream ids.
server_session::verdict server_session::inspect(clock::time_point now)
{
    if (outbound_full() || opens_stream_over_quota())
        return verdict::pause;
    const auto& h = splitter_->header();
    bool suspicious = false;
    switch (h.type)
    {
    case NGHTTP2_HEADERS:
        if ((h.stream_id & 1) == 0)
            break; // nghttp2 answers an even id with a connection error
        if (ids_->is_new(h.stream_id))
            ids_->use(h.stream_id);
        else if (ids_->never_opened(h.stream_id))
        {
            end_connection(NGHTTP2_PROTOCOL_ERROR, "HEADERS on a lower, never-opened stream id",
                           errc::stream_id_skipped);
            return verdict::stop;
        }
        else
            suspicious = !stream_open(h.stream_id);
        break;
    case NGHTTP2_DATA:
    case NGHTTP2_RST_STREAM:
    case NGHTTP2_WINDOW_UPDATE:
        // Frames on streams already closed (ids above every opened one are nghttp2's
        // connection errors).
        suspicious = h.stream_id != 0 && h.stream_id <= ids_->highest() && !stream_open(h.stream_id);
        break;
    case NGHTTP2_PRIORITY:
        suspicious = true; // gRPC clients never send it
        break;
    case NGHTTP2_SETTINGS:
        if (h.has(NGHTTP2_FLAG_ACK))
            suspicious = ++settings_acks_received_ > 1; // we send one SETTINGS frame
        else
            suspicious = ++settings_received_ > 1;
        break;
    case NGHTTP2_PING:
        suspicious = h.has(NGHTTP2_FLAG_ACK) && !keepalive_sent_ && !shutdown_ping_sent_;
        break;
    case NGHTTP2_CONTINUATION:
    case NGHTTP2_GOAWAY:
    case NGHTTP2_PUSH_PROMISE: // a connection error in nghttp2
        break;
    default:
        suspicious = true; // extension frames nghttp2 ignores
        break;
    }
    if (suspicious && !glitch(now))
        return verdict::stop;
    return verdict::pass;
}

bool server_session::glitch(clock::time_point now) noexcept
{
    if (glitches_->take(now))
        return true;
    end_connection(NGHTTP2_ENHANCE_YOUR_CALM, "too_many_glitches", errc::too_many_glitches);
    return false;
}

void server_session::end_connection(std::uint32_t code, std::string_view debug, error_code ec)
{
    if (!first_error_)
    {
        nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                              nghttp2_session_get_last_proc_stream_id(session_), code,
                              reinterpret_cast<const uint8_t*>(debug.data()), debug.size());
        goaway_sent_ = true;
        first_error_ = ec;
    }
    notify_write();
}

// --- handlers -----------------------------------------------------------------------------------

handler_slot server_session::start_handler()
{
    ++handlers_->running;
    return handler_slot(handlers_);
}

std::size_t server_session::running_handlers() const noexcept
{
    return handlers_->running;
}

void server_session::handler_done() noexcept
{
    mark_activity(clock::now());
    read_signal_.notify();
}

// --- timers ---------------------------------------------------------------------------------------

bool server_session::idle() const noexcept
{
    return streams_.empty() && handlers_->running == 0;
}

void server_session::mark_activity(clock::time_point now) noexcept
{
    if (idle())
        idle_since_ = now;
}

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
    if (first_error_)
        return {};
    // Responses stalled on the peer's flow-control window.
    if (cfg_.write_stall_timeout.count() > 0)
    {
        std::int32_t conn_window = nghttp2_session_get_remote_window_size(session_);
        for (auto& [id, s] : streams_)
        {
            bool blocked = s->sending &&
                           std::min(conn_window, nghttp2_session_get_stream_remote_window_size(
                                                     session_, id)) <= 0;
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
    if (cfg_.idle_timeout.count() > 0 && !goaway_sent_ && idle() &&
        now - idle_since_ >= cfg_.idle_timeout)
    {
        static constexpr std::string_view why = "idle";
        nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                              nghttp2_session_get_last_proc_stream_id(session_), NGHTTP2_NO_ERROR,
                              reinterpret_cast<const uint8_t*>(why.data()), why.size());
        goaway_sent_ = true;
        notify_write();
    }
    // Connection age: shutdown notice, final GOAWAY a little later, close after the grace.
    if (cfg_.max_connection_age.count() > 0)
    {
        auto age = now - created_;
        if (!age_notice_sent_ && age >= cfg_.max_connection_age)
        {
            age_notice_sent_ = now;
            shutdown_notice();
        }
        else if (age_notice_sent_ && !age_goaway_sent_ &&
                 now - *age_notice_sent_ >= std::chrono::milliseconds(
                                                std::min<long long>(1000, cfg_.max_connection_age.count())))
        {
            age_goaway_sent_ = true;
            static constexpr std::string_view why = "max_age";
            nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                                  nghttp2_session_get_last_proc_stream_id(session_),
                                  NGHTTP2_NO_ERROR, reinterpret_cast<const uint8_t*>(why.data()),
                                  why.size());
            goaway_sent_ = true;
            notify_write();
        }
        if (cfg_.max_connection_age_grace.count() > 0 &&
            age >= cfg_.max_connection_age + cfg_.max_connection_age_grace)
        {
            terminate(NGHTTP2_NO_ERROR);
            first_error_ = errc::connection_too_old;
            return first_error_;
        }
    }
    // Keepalive: PING a silent peer; no ACK in time ends the connection.
    if (cfg_.keepalive_time.count() > 0)
    {
        if (keepalive_sent_ && cfg_.keepalive_timeout.count() > 0 &&
            now - *keepalive_sent_ >= cfg_.keepalive_timeout)
        {
            terminate(NGHTTP2_NO_ERROR);
            first_error_ = errc::keepalive_timeout;
            return first_error_;
        }
        if (!keepalive_sent_ && now - last_received_ >= cfg_.keepalive_time)
        {
            if (nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE,
                                    reinterpret_cast<const uint8_t*>(keepalive_opaque.data())) == 0)
            {
                keepalive_sent_ = now;
                notify_write();
            }
        }
    }
    return {};
}

error_code server_session::produce(std::vector<unsigned char>& out, std::size_t max)
{
    callback_scope scope(in_callback_);
    detail::direct_data::binding direct(direct_, out, max);
    while (out.size() < max)
    {
        const uint8_t* data = nullptr;
        ssize_t n = nghttp2_session_mem_send(session_, &data);
        if (n < 0)
        {
            direct_.abandon();
            return first_error_ ? first_error_ : make_nghttp2_error(static_cast<int>(n));
        }
        if (n == 0)
            break;
        if (direct_.pending()) // a direct frame is always completed within one mem_send
        {
            fail(errc::internal);
            return first_error_;
        }
        out.insert(out.end(), data, data + n);
    }
    // The outbound queue shrank: a reader waiting for it may go on.
    if (!outbound_full())
        read_signal_.notify();
    return first_error_;
}

bool server_session::want_read() const noexcept
{
    return nghttp2_session_want_read(session_) != 0;
}

bool server_session::want_write() const noexcept
{
    return nghttp2_session_want_write(session_) != 0;
}

error_code server_session::respond(std::int32_t id, std::span<const header> headers, bool with_body)
{
    detail::nv_array nva(headers);
    nghttp2_data_provider provider{};
    provider.read_callback = detail::read_body_callback;
    int rv = nghttp2_submit_response(session_, id, nva.data(), nva.size(),
                                     with_body ? &provider : nullptr);
    if (rv == 0 && with_body)
        if (auto* s = slot(id))
            s->sending = true;
    notify_write();
    return rv == 0 ? error_code{} : make_nghttp2_error(rv);
}

void server_session::resume(std::int32_t id)
{
    if (auto* s = slot(id))
        s->sending = true;
    if (nghttp2_session_resume_data(session_, id) == 0)
        notify_write();
}

void server_session::reset(std::int32_t id, std::uint32_t error_code)
{
    if (nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, error_code) == 0)
        notify_write();
}

void server_session::consume(std::int32_t id, std::size_t n)
{
    if (n == 0)
        return;
    if (nghttp2_session_consume(session_, id, n) != 0)
        nghttp2_session_consume_connection(session_, n);
    notify_write();
}

bool server_session::remote_closed(std::int32_t id) const noexcept
{
    return nghttp2_session_get_stream_remote_close(session_, id) != 0;
}

void server_session::shutdown_notice()
{
    // The PING follows once the notice is serialized (on_frame_send): nghttp2 sends PINGs
    // ahead of queued GOAWAYs, and an ACK for a PING that overtook the notice proves nothing.
    if (nghttp2_submit_shutdown_notice(session_) == 0)
        shutdown_notice_queued_ = true;
    notify_write();
}

void server_session::goaway(std::uint32_t error_code)
{
    if (error_code == NGHTTP2_NO_ERROR)
    {
        if (final_goaway_sent_)
            return;
        final_goaway_sent_ = true;
    }
    nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                          nghttp2_session_get_last_proc_stream_id(session_), error_code, nullptr, 0);
    goaway_sent_ = true;
    notify_write();
}

void server_session::terminate(std::uint32_t error_code)
{
    nghttp2_session_terminate_session(session_, error_code);
    goaway_sent_ = true;
    notify_write();
}

void server_session::close_all_streams(std::uint32_t error_code)
{
    auto streams = std::move(streams_);
    streams_.clear();
    buffered_ = 0;
    mark_activity(clock::now());
    for (auto& [id, s] : streams)
    {
        nghttp2_session_set_stream_user_data(session_, id, nullptr);
        if (s->observer)
            s->observer->on_close(error_code);
    }
}

int server_session::fail(error_code ec) noexcept
{
    if (!first_error_)
        first_error_ = ec;
    return NGHTTP2_ERR_CALLBACK_FAILURE;
}

server_session::stream_slot* server_session::slot(std::int32_t id) const noexcept
{
    return static_cast<stream_slot*>(nghttp2_session_get_stream_user_data(session_, id));
}

int server_session::on_begin_headers(const nghttp2_frame& frame) noexcept
{
    if (frame.hd.type != NGHTTP2_HEADERS || frame.headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0;
    try
    {
        auto s = std::make_unique<stream_slot>();
        s->head.fields.reserve(8); // a gRPC request has about 6: one allocation, not four
        nghttp2_session_set_stream_user_data(session_, frame.hd.stream_id, s.get());
        streams_.emplace(frame.hd.stream_id, std::move(s));
        return 0;
    }
    catch (...)
    {
        return fail(errc::internal);
    }
}

int server_session::on_header(const nghttp2_frame& frame, std::span<const unsigned char> name,
                              std::span<const unsigned char> value) noexcept
{
    if (frame.hd.type != NGHTTP2_HEADERS || frame.headers.cat != NGHTTP2_HCAT_REQUEST)
        return 0; // request trailers carry nothing gRPC uses
    auto* s = slot(frame.hd.stream_id);
    if (!s)
        return 0;
    auto& head = s->head;
    head.list_size += name.size() + value.size() + 32;
    if (head.list_size > cfg_.max_header_list_size)
    {
        head.too_large = true; // keep decoding (HPACK state), store nothing more
        return 0;
    }
    try
    {
        auto n = as_sv(name);
        auto v = as_sv(value);
        if (!n.empty() && n[0] == ':')
        {
            if (n == ":method")
                head.method = v;
            else if (n == ":path")
                head.path = v;
            else if (n == ":scheme")
                head.scheme = v;
            else if (n == ":authority")
                head.authority = v;
            return 0;
        }
        head.fields.push_back({std::string(n), std::string(v)});
        return 0;
    }
    catch (...)
    {
        return fail(errc::internal);
    }
}

int server_session::on_frame_recv(const nghttp2_frame& frame) noexcept
{
    try
    {
        switch (frame.hd.type)
        {
        case NGHTTP2_SETTINGS:
            if (!(frame.hd.flags & NGHTTP2_FLAG_ACK))
                preface_received_ = true;
            return 0;
        case NGHTTP2_PING:
            if (frame.hd.flags & NGHTTP2_FLAG_ACK)
            {
                // The ACK of the drain's PING: the client has seen the shutdown notice.
                if (shutdown_ping_sent_ &&
                    std::memcmp(frame.ping.opaque_data, shutdown_ping_data, 8) == 0)
                {
                    goaway(NGHTTP2_NO_ERROR);
                    return 0;
                }
                if (keepalive_sent_ &&
                    std::equal(keepalive_opaque.begin(), keepalive_opaque.end(),
                               frame.ping.opaque_data))
                    keepalive_sent_.reset();
                return 0;
            }
            if (pings_->on_ping(clock::now(), !streams_.empty()))
            {
                end_connection(NGHTTP2_ENHANCE_YOUR_CALM, "too_many_pings", errc::too_many_pings);
                return NGHTTP2_ERR_CALLBACK_FAILURE;
            }
            return 0;
        case NGHTTP2_HEADERS:
        {
            auto* s = slot(frame.hd.stream_id);
            if (!s)
                return 0;
            bool end_stream = (frame.hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
            if (frame.headers.cat == NGHTTP2_HCAT_REQUEST)
            {
                ++requests_started_;
                s->observer = dispatcher_.on_request(*this, frame.hd.stream_id,
                                                     std::move(s->head), end_stream);
                s->head = {};
            }
            else if (end_stream && s->observer)
                s->observer->on_end_stream();
            return 0;
        }
        case NGHTTP2_DATA:
            if (frame.hd.flags & NGHTTP2_FLAG_END_STREAM)
            {
                if (auto* s = slot(frame.hd.stream_id); s && s->observer)
                    s->observer->on_end_stream();
            }
            else if (frame.hd.length <= frame.data.padlen && !glitch(clock::now()))
                return NGHTTP2_ERR_CALLBACK_FAILURE; // empty DATA without END_STREAM
            return 0;
        default:
            return 0;
        }
    }
    catch (...)
    {
        return fail(errc::internal);
    }
}

int server_session::on_data_chunk(std::int32_t id, std::span<const unsigned char> data) noexcept
{
    try
    {
        auto* s = slot(id);
        if (s && s->observer && !s->shed)
        {
            s->observer->on_data(data);
            account_buffer(id, *s);
        }
        else
            nghttp2_session_consume(session_, id, data.size());
        return 0;
    }
    catch (...)
    {
        return fail(errc::internal);
    }
}

// Keeps the total of buffered request bytes; the stream whose data crosses the limit is
// reset (ENHANCE_YOUR_CALM). The running total only grows with fresh numbers; before
// resetting anyone it is recounted, since handlers take bytes without telling.
void server_session::account_buffer(std::int32_t id, stream_slot& s)
{
    if (cfg_.max_request_buffer == 0)
        return;
    std::size_t now = s.observer->buffered_bytes();
    buffered_ = buffered_ - std::min(buffered_, s.buffered) + now;
    s.buffered = now;
    if (buffered_ <= cfg_.max_request_buffer)
        return;
    buffered_ = 0;
    for (auto& [other_id, other] : streams_)
    {
        other->buffered = other->observer && !other->shed ? other->observer->buffered_bytes() : 0;
        buffered_ += other->buffered;
    }
    if (buffered_ <= cfg_.max_request_buffer)
        return;
    s.shed = true;
    reset(id, NGHTTP2_ENHANCE_YOUR_CALM);
}

int server_session::on_stream_close(std::int32_t id, std::uint32_t error_code) noexcept
{
    auto it = streams_.find(id);
    if (it == streams_.end())
        return 0;
    auto s = std::move(it->second);
    streams_.erase(it);
    buffered_ -= std::min(buffered_, s->buffered);
    nghttp2_session_set_stream_user_data(session_, id, nullptr);
    mark_activity(clock::now());
    try
    {
        if (s->observer)
            s->observer->on_close(error_code);
        return 0;
    }
    catch (...)
    {
        return fail(errc::internal);
    }
}

int server_session::on_invalid_frame(const nghttp2_frame&, int) noexcept
{
    return glitch(clock::now()) ? 0 : NGHTTP2_ERR_CALLBACK_FAILURE;
}

int server_session::on_frame_send(const nghttp2_frame& frame) noexcept
{
    if (frame.hd.type == NGHTTP2_HEADERS || frame.hd.type == NGHTTP2_DATA)
        pings_->on_data_sent();
    else if (frame.hd.type == NGHTTP2_GOAWAY)
    {
        goaway_sent_ = true;
        // The drain's shutdown notice is out: a PING behind it, whose ACK sends the final
        // GOAWAY (on_frame_recv).
        if (shutdown_notice_queued_ &&
            frame.goaway.last_stream_id == std::numeric_limits<std::int32_t>::max())
        {
            shutdown_notice_queued_ = false;
            if (nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, shutdown_ping_data) == 0)
                shutdown_ping_sent_ = true;
            return 0;
        }
    }
    // Our side ended the stream while the client is still sending (an early status):
    // tell it to stop with RST_STREAM(NO_ERROR), as gRPC servers do.
    if ((frame.hd.type == NGHTTP2_HEADERS || frame.hd.type == NGHTTP2_DATA) &&
        (frame.hd.flags & NGHTTP2_FLAG_END_STREAM) && frame.hd.stream_id > 0 &&
        !remote_closed(frame.hd.stream_id))
        nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, frame.hd.stream_id, NGHTTP2_NO_ERROR);
    return 0;
}

long server_session::read_body(std::int32_t id, unsigned char* buf, std::size_t len,
                               std::uint32_t* flags) noexcept
{
    auto* s = slot(id);
    if (!s || !s->observer)
    {
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        return 0;
    }
    try
    {
        bool eof = false;
        std::size_t n = 0;
        // Inside produce the payload goes straight to the batch (see direct_data).
        const bool direct = direct_.active();
        if (direct)
        {
            // Room for what is ready only: resizing the batch zero-fills the room.
            const std::size_t room = std::min(len, s->observer->body_ready());
            n = s->observer->read_body(direct_.begin_frame(room), eof);
            direct_.end_frame(n);
            *flags |= NGHTTP2_DATA_FLAG_NO_COPY;
        }
        else
            n = s->observer->read_body({buf, len}, eof);
        s->blocked_since.reset(); // the window let bytes through
        if (!eof)
        {
            if (n > 0)
                return static_cast<long>(n);
            s->sending = false;
            return NGHTTP2_ERR_DEFERRED;
        }
        s->sending = false;
        *flags |= NGHTTP2_DATA_FLAG_EOF;
        auto trailers = s->observer->take_trailers();
        if (!trailers.empty())
        {
            detail::nv_array nva(trailers);
            if (nghttp2_submit_trailer(session_, id, nva.data(), nva.size()) == 0)
                *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
        }
        return static_cast<long>(n);
    }
    catch (...)
    {
        direct_.abandon();
        return fail(errc::internal);
    }
}

int server_session::send_data(const nghttp2_frame& frame, const std::uint8_t* framehd,
                              std::size_t length) noexcept
{
    return direct_.send(frame, framehd, length);
}
} // namespace rpcplugin::http2
