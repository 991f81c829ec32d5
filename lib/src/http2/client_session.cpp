#include "rpcplugin/http2/client_session.hpp"

#include "http2/detail/callbacks.hpp"
#include "http2/detail/nv.hpp"
#include "rpcplugin/http2/error.hpp"

#include <algorithm>
#include <cassert>
#include <new>

namespace rpcplugin::http2
{
using boost::system::error_code;

namespace
{
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

client_session::client_session(asio::any_io_executor ex, const settings& cfg)
    : cfg_(cfg)
    , write_signal_(ex)
    , ready_signal_(ex)
{
    nghttp2_option* opt = nullptr;
    if (nghttp2_option_new(&opt) != 0)
        throw std::bad_alloc();
    nghttp2_option_set_no_auto_window_update(opt, 1);
    nghttp2_option_set_max_continuations(opt, cfg.max_continuations);
    int rv = nghttp2_session_client_new2(&session_, detail::client_callbacks(), this, opt);
    nghttp2_option_del(opt);
    if (rv != 0)
        throw std::bad_alloc();
    const nghttp2_settings_entry entries[] = {
        {NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, cfg.max_header_list_size},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, cfg.stream_window},
    };
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, entries, std::size(entries));
    if (cfg.connection_window > NGHTTP2_INITIAL_CONNECTION_WINDOW_SIZE)
        nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                              static_cast<int32_t>(cfg.connection_window));
}

client_session::~client_session()
{
    close_all_streams(NGHTTP2_CANCEL);
    nghttp2_session_del(session_);
}

error_code client_session::receive(std::span<const unsigned char> data)
{
    ssize_t rv;
    {
        callback_scope scope(in_callback_);
        rv = nghttp2_session_mem_recv(session_, data.data(), data.size());
    }
    notify_write();
    if (!first_error_ && rv < 0)
        first_error_ = make_nghttp2_error(static_cast<int>(rv));
    if (first_error_)
        ready_signal_.notify();
    return first_error_;
}

error_code client_session::produce(std::vector<unsigned char>& out, std::size_t max)
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

bool client_session::want_read() const noexcept
{
    return nghttp2_session_want_read(session_) != 0;
}

bool client_session::want_write() const noexcept
{
    return nghttp2_session_want_write(session_) != 0;
}

std::int32_t client_session::submit(std::span<const header> headers, bool with_body,
                                    std::shared_ptr<response_observer> obs)
{
    detail::nv_array nva(headers);
    nghttp2_data_provider provider{};
    provider.read_callback = detail::read_request_body_callback;
    auto s = std::make_unique<stream_slot>();
    std::int32_t id = nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(),
                                             with_body ? &provider : nullptr, s.get());
    if (id < 0)
        return id;
    s->observer = std::move(obs);
    streams_.emplace(id, std::move(s));
    notify_write();
    return id;
}

void client_session::resume(std::int32_t id)
{
    nghttp2_session_resume_data(session_, id);
    notify_write();
}

void client_session::reset(std::int32_t id, std::uint32_t error_code)
{
    if (nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, error_code) == 0)
        notify_write();
}

void client_session::consume(std::int32_t id, std::size_t n)
{
    if (n == 0)
        return;
    if (nghttp2_session_consume(session_, id, n) != 0)
        nghttp2_session_consume_connection(session_, n);
    notify_write();
}

void client_session::terminate(std::uint32_t error_code)
{
    nghttp2_session_terminate_session(session_, error_code);
    notify_write();
}

void client_session::close_all_streams(std::uint32_t error_code)
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

int client_session::fail(error_code ec) noexcept
{
    if (!first_error_)
        first_error_ = ec;
    return NGHTTP2_ERR_CALLBACK_FAILURE;
}

client_session::stream_slot* client_session::slot(std::int32_t id) const noexcept
{
    return static_cast<stream_slot*>(nghttp2_session_get_stream_user_data(session_, id));
}

int client_session::on_begin_headers(const nghttp2_frame& frame) noexcept
{
    if (frame.hd.type != NGHTTP2_HEADERS)
        return 0;
    if (auto* s = slot(frame.hd.stream_id))
    {
        s->fields.clear();
        s->list_size = 0;
    }
    return 0;
}

int client_session::on_header(const nghttp2_frame& frame, std::span<const unsigned char> name,
                              std::span<const unsigned char> value) noexcept
{
    auto* s = slot(frame.hd.stream_id);
    if (!s || frame.hd.type != NGHTTP2_HEADERS)
        return 0;
    s->list_size += name.size() + value.size() + 32;
    if (s->list_size > cfg_.max_header_list_size)
        return NGHTTP2_ERR_TEMPORAL_CALLBACK_FAILURE; // RST_STREAM for this stream only
    try
    {
        s->fields.push_back({std::string(reinterpret_cast<const char*>(name.data()), name.size()),
                             std::string(reinterpret_cast<const char*>(value.data()), value.size())});
        return 0;
    }
    catch (...)
    {
        return fail(errc::internal);
    }
}

int client_session::on_frame_recv(const nghttp2_frame& frame) noexcept
{
    try
    {
        switch (frame.hd.type)
        {
        case NGHTTP2_SETTINGS:
            if (!(frame.hd.flags & NGHTTP2_FLAG_ACK) && !preface_received_)
            {
                preface_received_ = true;
                ready_signal_.notify();
            }
            return 0;
        case NGHTTP2_GOAWAY:
            goaway_received_ = true;
            return 0;
        case NGHTTP2_HEADERS:
        {
            auto* s = slot(frame.hd.stream_id);
            if (!s || !s->observer)
                return 0;
            bool end_stream = (frame.hd.flags & NGHTTP2_FLAG_END_STREAM) != 0;
            // Informational (1xx) responses carry nothing for gRPC.
            if (frame.headers.cat == NGHTTP2_HCAT_HEADERS && !s->head_seen)
                return 0;
            bool trailers = s->head_seen;
            s->head_seen = true;
            s->observer->on_headers(std::move(s->fields), trailers, end_stream);
            s->fields.clear();
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

int client_session::on_data_chunk(std::int32_t id, std::span<const unsigned char> data) noexcept
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

int client_session::on_stream_close(std::int32_t id, std::uint32_t error_code) noexcept
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

long client_session::read_body(std::int32_t id, unsigned char* buf, std::size_t len,
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
        if (eof)
            *flags |= NGHTTP2_DATA_FLAG_EOF;
        else if (n == 0)
            return NGHTTP2_ERR_DEFERRED;
        return static_cast<long>(n);
    }
    catch (...)
    {
        direct_.abandon();
        return fail(errc::internal);
    }
}

int client_session::send_data(const nghttp2_frame& frame, const std::uint8_t* framehd,
                              std::size_t length) noexcept
{
    return direct_.send(frame, framehd, length);
}
} // namespace rpcplugin::http2
