#include "rpcplugin/http2/server_session.hpp"

#include "http2/detail/callbacks.hpp"
#include "http2/detail/nv.hpp"
#include "rpcplugin/http2/error.hpp"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cassert>
#include <new>

namespace rpcplugin::http2
{
using boost::system::error_code;

struct server_session::stream_slot
{
    request_head head;
    std::shared_ptr<stream_observer> observer;
};

namespace
{
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

server_session::server_session(asio::any_io_executor ex, const settings& cfg, dispatcher& d)
    : cfg_(cfg)
    , dispatcher_(d)
    , write_signal_(std::move(ex))
{
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
    close_all_streams(NGHTTP2_CANCEL);
    nghttp2_session_del(session_);
}

error_code server_session::receive(std::span<const unsigned char> data)
{
    ssize_t rv;
    {
        callback_scope scope(in_callback_);
        rv = nghttp2_session_mem_recv(session_, data.data(), data.size());
    }
    notify_write();
    if (first_error_)
        return first_error_;
    if (rv < 0)
        return make_nghttp2_error(static_cast<int>(rv));
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
    notify_write();
    return rv == 0 ? error_code{} : make_nghttp2_error(rv);
}

void server_session::resume(std::int32_t id)
{
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
    nghttp2_submit_shutdown_notice(session_);
    notify_write();
}

void server_session::goaway(std::uint32_t error_code)
{
    nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                          nghttp2_session_get_last_proc_stream_id(session_), error_code, nullptr, 0);
    notify_write();
}

void server_session::terminate(std::uint32_t error_code)
{
    nghttp2_session_terminate_session(session_, error_code);
    notify_write();
}

void server_session::close_all_streams(std::uint32_t error_code)
{
    auto streams = std::move(streams_);
    streams_.clear();
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
        case NGHTTP2_HEADERS:
        {
            auto* s = slot(frame.hd.stream_id);
            if (!s)
                return 0;
            bool end_stream = (frame.hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
            if (frame.headers.cat == NGHTTP2_HCAT_REQUEST)
            {
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
        if (s && s->observer)
            s->observer->on_data(data);
        else
            nghttp2_session_consume(session_, id, data.size());
        return 0;
    }
    catch (...)
    {
        return fail(errc::internal);
    }
}

int server_session::on_stream_close(std::int32_t id, std::uint32_t error_code) noexcept
{
    auto it = streams_.find(id);
    if (it == streams_.end())
        return 0;
    auto s = std::move(it->second);
    streams_.erase(it);
    nghttp2_session_set_stream_user_data(session_, id, nullptr);
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

int server_session::on_frame_send(const nghttp2_frame& frame) noexcept
{
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
        if (!eof)
            return n == 0 ? static_cast<long>(NGHTTP2_ERR_DEFERRED) : static_cast<long>(n);
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
