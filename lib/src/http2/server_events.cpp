// What a server session does on each nghttp2 callback (callbacks.cpp holds the trampolines).
#include "http2/detail/server_state.hpp"
#include "rpcplugin/http2/error.hpp"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstring>
#include <limits>

namespace rpcplugin::http2::detail
{
namespace
{
std::string_view as_sv(std::span<const unsigned char> s) noexcept
{
    return {reinterpret_cast<const char*>(s.data()), s.size()};
}

bool is_request(const nghttp2_frame& frame) noexcept
{
    return frame.hd.type == NGHTTP2_HEADERS && frame.headers.cat == NGHTTP2_HCAT_REQUEST;
}
} // namespace

int server_events::on_begin_headers(server_session& s, const nghttp2_frame& frame)
{
    if (!is_request(frame))
        return 0;
    auto st = std::make_unique<server_stream>();
    st->head.fields.reserve(8); // a gRPC request has about 6: one allocation, not four
    s.streams_->add(*s.core_, frame.hd.stream_id, std::move(st));
    return 0;
}

int server_events::on_header(server_session& s, const nghttp2_frame& frame,
                             std::span<const unsigned char> name,
                             std::span<const unsigned char> value)
{
    if (!is_request(frame))
        return 0; // request trailers carry nothing gRPC uses
    auto* st = s.streams_->find(*s.core_, frame.hd.stream_id);
    if (!st)
        return 0;
    auto& head = st->head;
    head.list_size += name.size() + value.size() + 32;
    if (head.list_size > s.cfg_.max_header_list_size)
    {
        head.too_large = true; // keep decoding (HPACK state), store nothing more
        return 0;
    }
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

int server_events::on_ping(server_session& s, const nghttp2_frame& frame)
{
    auto& g = *s.guard_;
    if (!(frame.hd.flags & NGHTTP2_FLAG_ACK))
    {
        if (!g.pings.on_ping(g.latest, !s.streams_->empty()))
            return 0;
        s.end_connection(NGHTTP2_ENHANCE_YOUR_CALM, "too_many_pings", errc::too_many_pings);
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    }
    // The ACK of the drain's PING: the client has seen the shutdown notice.
    if (s.shutdown_ping_sent_ && std::memcmp(frame.ping.opaque_data, shutdown_ping_data, 8) == 0)
        s.goaway(NGHTTP2_NO_ERROR);
    else if (g.keepalive_sent && std::memcmp(frame.ping.opaque_data, keepalive_ping_data, 8) == 0)
        g.keepalive_sent.reset();
    return 0;
}

int server_events::on_headers(server_session& s, const nghttp2_frame& frame)
{
    auto* st = s.streams_->find(*s.core_, frame.hd.stream_id);
    if (!st)
        return 0;
    bool end_stream = (frame.hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
    if (frame.headers.cat == NGHTTP2_HCAT_REQUEST)
    {
        ++s.requests_started_;
        st->observer =
            s.dispatcher_.on_request(s, frame.hd.stream_id, std::move(st->head), end_stream);
        st->head = {};
    }
    else if (end_stream && st->observer)
        st->observer->on_end_stream();
    return 0;
}

int server_events::on_frame_recv(server_session& s, const nghttp2_frame& frame)
{
    switch (frame.hd.type)
    {
    case NGHTTP2_SETTINGS:
        if (!(frame.hd.flags & NGHTTP2_FLAG_ACK))
            s.preface_received_ = true;
        return 0;
    case NGHTTP2_PING: return on_ping(s, frame);
    case NGHTTP2_HEADERS: return on_headers(s, frame);
    case NGHTTP2_DATA:
        if (frame.hd.flags & NGHTTP2_FLAG_END_STREAM)
            s.streams_->end_stream(*s.core_, frame.hd.stream_id);
        else if (frame.hd.length <= frame.data.padlen && !s.glitch())
            return NGHTTP2_ERR_CALLBACK_FAILURE; // empty DATA without END_STREAM
        return 0;
    default: return 0;
    }
}

int server_events::on_data_chunk(server_session& s, std::int32_t id,
                                 std::span<const unsigned char> data)
{
    auto* st = s.streams_->find(*s.core_, id);
    if (st && st->observer && !st->shed)
    {
        st->observer->on_data(data);
        s.account_buffer(id, *st);
    }
    else
        s.core_->discard(id, data.size());
    return 0;
}

int server_events::on_stream_close(server_session& s, std::int32_t id, std::uint32_t error_code)
{
    auto st = s.streams_->take(*s.core_, id);
    if (!st)
        return 0;
    s.guard_->buffered -= std::min(s.guard_->buffered, st->buffered);
    s.stream_closed();
    if (st->observer)
        st->observer->on_close(error_code);
    return 0;
}

int server_events::on_invalid_frame(server_session& s, const nghttp2_frame&, int) noexcept
{
    return s.glitch() ? 0 : NGHTTP2_ERR_CALLBACK_FAILURE;
}

int server_events::on_frame_send(server_session& s, const nghttp2_frame& frame) noexcept
{
    if (frame.hd.type == NGHTTP2_HEADERS || frame.hd.type == NGHTTP2_DATA)
        s.guard_->pings.on_data_sent();
    else if (frame.hd.type == NGHTTP2_GOAWAY)
    {
        s.goaway_sent_ = true;
        auto& unsent = s.guard_->goaways_unsent;
        if (unsent > 0 && frame.goaway.last_stream_id != std::numeric_limits<std::int32_t>::max())
            --unsent; // input is read again (produce wakes the reader)
        // The drain's shutdown notice is out: a PING behind it, whose ACK sends the final
        // GOAWAY (on_ping).
        if (s.shutdown_notice_queued_ &&
            frame.goaway.last_stream_id == std::numeric_limits<std::int32_t>::max())
        {
            s.shutdown_notice_queued_ = false;
            if (s.core_->submit_ping(shutdown_ping_data))
                s.shutdown_ping_sent_ = true;
            return 0;
        }
    }
    // Our side ended the stream while the client is still sending (an early status):
    // tell it to stop with RST_STREAM(NO_ERROR), as gRPC servers do.
    if ((frame.hd.type == NGHTTP2_HEADERS || frame.hd.type == NGHTTP2_DATA) &&
        (frame.hd.flags & NGHTTP2_FLAG_END_STREAM) && frame.hd.stream_id > 0 &&
        !s.core_->remote_closed(frame.hd.stream_id))
        nghttp2_submit_rst_stream(s.core_->get(), NGHTTP2_FLAG_NONE, frame.hd.stream_id,
                                  NGHTTP2_NO_ERROR);
    return 0;
}

long server_events::read_body(server_session& s, std::int32_t id, std::uint8_t* buf,
                              std::size_t len, std::uint32_t* flags)
{
    auto* st = s.streams_->body_source(*s.core_, id, flags);
    if (!st)
        return 0;
    bool eof = false;
    std::size_t n = s.core_->pull(*st->observer, buf, len, flags, eof);
    st->blocked_since.reset(); // the window let bytes through
    if (!eof)
    {
        if (n > 0)
            return static_cast<long>(n);
        st->sending = false;
        return NGHTTP2_ERR_DEFERRED;
    }
    st->sending = false;
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    auto trailers = st->observer->take_trailers();
    if (!trailers.empty() && s.core_->submit_trailer(id, trailers))
        *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
    return static_cast<long>(n);
}

int server_events::send_data(server_session& s, const nghttp2_frame& frame,
                             const std::uint8_t* framehd, std::size_t length) noexcept
{
    return s.core_->send_data(frame, framehd, length);
}
} // namespace rpcplugin::http2::detail
