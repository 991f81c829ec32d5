// The server session: construction, the driver's calls and the stream and connection API.
// The nghttp2 callbacks are in server_events.cpp, the protections in server_protections.cpp.
#include "rpcplugin/http2/server_session.hpp"

#include "http2/detail/server_state.hpp"
#include "rpcplugin/http2/error.hpp"

#include <nghttp2/nghttp2.h>

namespace rpcplugin::http2
{
using boost::system::error_code;

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

// --- construction -------------------------------------------------------------------------------

server_session::server_session(asio::any_io_executor ex, const settings& cfg, dispatcher& d)
    : cfg_(cfg)
    , dispatcher_(d)
    , core_(std::make_unique<detail::session_core>(ex, detail::session_core::role::server, cfg,
                                                   detail::server_callbacks(), this))
    , streams_(std::make_unique<detail::server_streams>())
    , guard_(std::make_unique<detail::protections>(cfg))
    , handlers_(std::make_shared<detail::handler_count>())
    , read_signal_(ex)
{
    handlers_->session = this;
}

server_session::~server_session()
{
    handlers_->session = nullptr;
    close_all_streams(NGHTTP2_CANCEL);
}

// --- the driver's calls -------------------------------------------------------------------------

error_code server_session::receive(std::span<const unsigned char> data, clock::time_point now)
{
    guard_->begin(now);
    if (!data.empty())
        guard_->last_received = now;
    error_code ec;
    if (guard_->pending.empty())
        ec = process(data);
    else
    {
        auto input = std::move(guard_->pending);
        guard_->pending.clear();
        input.insert(input.end(), data.begin(), data.end());
        ec = process(input);
    }
    guard_->end();
    notify_write();
    return ec;
}

error_code server_session::produce(std::vector<unsigned char>& out, std::size_t max)
{
    auto ec = core_->produce(out, max);
    // The outbound queue shrank: a reader waiting for it may go on.
    if (!outbound_full())
        read_signal_.notify();
    return ec;
}

bool server_session::want_read() const noexcept
{
    return core_->want_read();
}

bool server_session::want_write() const noexcept
{
    return core_->want_write();
}

rpcplugin::detail::waiter& server_session::write_signal() noexcept
{
    return core_->write_signal();
}

void server_session::notify_write()
{
    core_->notify_write();
}

bool server_session::input_pending() const noexcept
{
    return !guard_->pending.empty() || header_held();
}

handler_slot server_session::start_handler()
{
    ++handlers_->running;
    return handler_slot(handlers_);
}

std::size_t server_session::running_handlers() const noexcept
{
    return handlers_->running;
}

std::size_t server_session::active_streams() const noexcept
{
    return streams_->size();
}

// --- stream API ---------------------------------------------------------------------------------

error_code server_session::respond(std::int32_t id, std::span<const header> headers, bool with_body)
{
    int rv = core_->submit_response(id, headers, with_body);
    if (rv == 0 && with_body)
        if (auto* s = streams_->find(*core_, id))
            s->sending = true;
    notify_write();
    return rv == 0 ? error_code{} : make_nghttp2_error(rv);
}

void server_session::resume(std::int32_t id)
{
    if (auto* s = streams_->find(*core_, id))
        s->sending = true;
    if (core_->resume(id))
        notify_write();
}

void server_session::reset(std::int32_t id, std::uint32_t error_code)
{
    core_->reset(id, error_code);
}

void server_session::consume(std::int32_t id, std::size_t n)
{
    core_->consume(id, n);
}

bool server_session::remote_closed(std::int32_t id) const noexcept
{
    return core_->remote_closed(id);
}

// --- connection ---------------------------------------------------------------------------------

void server_session::shutdown_notice()
{
    // The PING follows once the notice is serialized (on_frame_send): nghttp2 sends PINGs
    // ahead of queued GOAWAYs, and an ACK for a PING that overtook the notice proves nothing.
    if (nghttp2_submit_shutdown_notice(core_->get()) == 0)
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
    core_->submit_goaway(error_code);
    ++guard_->goaways_unsent;
    goaway_sent_ = true;
}

void server_session::terminate(std::uint32_t error_code)
{
    core_->terminate(error_code);
    ++guard_->goaways_unsent;
    goaway_sent_ = true;
}

void server_session::close_all_streams(std::uint32_t error_code)
{
    auto streams = streams_->take_all(*core_);
    guard_->buffered = 0;
    stream_closed();
    for (auto& [id, s] : streams)
        if (s->observer)
            s->observer->on_close(error_code);
}
} // namespace rpcplugin::http2
