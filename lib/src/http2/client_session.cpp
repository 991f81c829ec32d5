#include "rpcplugin/http2/client_session.hpp"

#include "http2/detail/client_state.hpp"
#include "rpcplugin/http2/error.hpp"

#include <nghttp2/nghttp2.h>

namespace rpcplugin::http2
{
using boost::system::error_code;

client_session::client_session(asio::any_io_executor ex, const settings& cfg)
    : cfg_(cfg)
    , core_(std::make_unique<detail::session_core>(ex, detail::session_core::role::client, cfg,
                                                   detail::client_callbacks(), this))
    , streams_(std::make_unique<detail::client_streams>())
    , ready_signal_(ex)
{
}

client_session::~client_session()
{
    close_all_streams(NGHTTP2_CANCEL);
}

error_code client_session::receive(std::span<const unsigned char> data)
{
    auto ec = core_->feed(data);
    notify_write();
    if (ec)
        ready_signal_.notify();
    return ec;
}

error_code client_session::produce(std::vector<unsigned char>& out, std::size_t max)
{
    return core_->produce(out, max);
}

bool client_session::want_read() const noexcept
{
    return core_->want_read();
}

bool client_session::want_write() const noexcept
{
    return core_->want_write();
}

rpcplugin::detail::waiter& client_session::write_signal() noexcept
{
    return core_->write_signal();
}

void client_session::notify_write()
{
    core_->notify_write();
}

error_code client_session::error() const noexcept
{
    return core_->error();
}

std::size_t client_session::active_streams() const noexcept
{
    return streams_->size();
}

std::int32_t client_session::submit(std::span<const header> headers, bool with_body,
                                    std::shared_ptr<response_observer> obs)
{
    auto s = std::make_unique<detail::client_stream>();
    std::int32_t id = core_->submit_request(headers, with_body, s.get());
    if (id < 0)
        return id;
    s->observer = std::move(obs);
    streams_->add(*core_, id, std::move(s), false); // nghttp2 has it as stream user data
    notify_write();
    return id;
}

void client_session::resume(std::int32_t id)
{
    core_->resume(id);
    notify_write();
}

void client_session::reset(std::int32_t id, std::uint32_t error_code)
{
    core_->reset(id, error_code);
}

void client_session::consume(std::int32_t id, std::size_t n)
{
    core_->consume(id, n);
}

void client_session::terminate(std::uint32_t error_code)
{
    core_->terminate(error_code);
}

void client_session::close_all_streams(std::uint32_t error_code)
{
    auto streams = streams_->take_all(*core_);
    for (auto& [id, s] : streams)
        if (s->observer)
            s->observer->on_close(error_code);
}
} // namespace rpcplugin::http2

namespace rpcplugin::http2::detail
{
int client_events::on_begin_headers(client_session& s, const nghttp2_frame& frame)
{
    if (frame.hd.type != NGHTTP2_HEADERS)
        return 0;
    if (auto* st = s.streams_->find(*s.core_, frame.hd.stream_id))
    {
        st->fields.clear();
        st->list_size = 0;
    }
    return 0;
}

int client_events::on_header(client_session& s, const nghttp2_frame& frame,
                             std::span<const unsigned char> name,
                             std::span<const unsigned char> value)
{
    auto* st = s.streams_->find(*s.core_, frame.hd.stream_id);
    if (!st || frame.hd.type != NGHTTP2_HEADERS)
        return 0;
    st->list_size += name.size() + value.size() + 32;
    if (st->list_size > s.cfg_.max_header_list_size)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; // RST_STREAM for this stream only
    st->fields.push_back({std::string(reinterpret_cast<const char*>(name.data()), name.size()),
                          std::string(reinterpret_cast<const char*>(value.data()), value.size())});
    return 0;
}

int client_events::on_headers(client_session& s, const nghttp2_frame& frame)
{
    auto* st = s.streams_->find(*s.core_, frame.hd.stream_id);
    if (!st || !st->observer)
        return 0;
    bool end_stream = (frame.hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    // Informational (1xx) responses carry nothing for gRPC.
    if (frame.headers.cat == NGHTTP2_HCAT_HEADERS && !st->head_seen)
        return 0;
    bool trailers = st->head_seen;
    st->head_seen = true;
    st->observer->on_headers(std::move(st->fields), trailers, end_stream);
    st->fields.clear();
    return 0;
}

int client_events::on_frame_recv(client_session& s, const nghttp2_frame& frame)
{
    switch (frame.hd.type)
    {
    case NGHTTP2_SETTINGS:
        if (!(frame.hd.flags & NGHTTP2_FLAG_ACK) && !s.preface_received_)
        {
            s.preface_received_ = true;
            s.ready_signal_.notify();
        }
        return 0;
    case NGHTTP2_GOAWAY: s.goaway_received_ = true; return 0;
    case NGHTTP2_HEADERS: return on_headers(s, frame);
    case NGHTTP2_DATA:
        if (frame.hd.flags & NGHTTP2_FLAG_END_STREAM)
            s.streams_->end_stream(*s.core_, frame.hd.stream_id);
        return 0;
    default: return 0;
    }
}

int client_events::on_data_chunk(client_session& s, std::int32_t id,
                                 std::span<const unsigned char> data)
{
    auto* st = s.streams_->find(*s.core_, id);
    if (st && st->observer)
        st->observer->on_data(data);
    else
        s.core_->discard(id, data.size());
    return 0;
}

int client_events::on_stream_close(client_session& s, std::int32_t id, std::uint32_t error_code)
{
    auto st = s.streams_->take(*s.core_, id);
    if (!st)
        return 0;
    if (st->observer)
        st->observer->on_close(error_code);
    return 0;
}

long client_events::read_body(client_session& s, std::int32_t id, std::uint8_t* buf,
                              std::size_t len, std::uint32_t* flags)
{
    auto* st = s.streams_->body_source(*s.core_, id, flags);
    if (!st)
        return 0;
    bool eof = false;
    std::size_t n = s.core_->pull(*st->observer, buf, len, flags, eof);
    if (eof)
        *flags |= NGHTTP2_DATA_FLAG_EOF;
    else if (n == 0)
        return NGHTTP2_ERR_DEFERRED;
    return static_cast<long>(n);
}

int client_events::send_data(client_session& s, const nghttp2_frame& frame,
                             const std::uint8_t* framehd, std::size_t length) noexcept
{
    return s.core_->send_data(frame, framehd, length);
}
} // namespace rpcplugin::http2::detail
