#include "support/h2_peer.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <new>
#include <stdexcept>
#include <utility>

namespace rpcplugin::test
{
namespace
{
h2_peer& self(void* user) noexcept
{
    return *static_cast<h2_peer*>(user);
}

std::string_view sv(const uint8_t* p, std::size_t n) noexcept
{
    return {reinterpret_cast<const char*>(p), n};
}

int on_frame_recv_cb(nghttp2_session*, const nghttp2_frame* frame, void* user)
{
    return self(user).on_frame_recv(*frame);
}

int on_header_cb(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
                 const uint8_t* value, size_t valuelen, uint8_t, void* user)
{
    return self(user).on_header(*frame, sv(name, namelen), sv(value, valuelen));
}

int on_data_chunk_cb(nghttp2_session*, uint8_t, int32_t id, const uint8_t* data, size_t len,
                     void* user)
{
    return self(user).on_data_chunk(id, {data, len});
}

int on_stream_close_cb(nghttp2_session*, int32_t id, uint32_t error_code, void* user)
{
    return self(user).on_stream_close(id, error_code);
}

ssize_t read_body_cb(nghttp2_session*, int32_t id, uint8_t* buf, size_t len, uint32_t* flags,
                     nghttp2_data_source*, void* user)
{
    return self(user).read_body(id, buf, len, flags);
}

std::string find(const std::vector<http2::header>& fields, std::string_view name)
{
    for (const auto& f : fields)
        if (f.name == name)
            return f.value;
    return {};
}

std::vector<nghttp2_nv> to_nv(const std::vector<http2::header>& headers)
{
    std::vector<nghttp2_nv> nva;
    for (const auto& h : headers)
        nva.push_back({reinterpret_cast<uint8_t*>(const_cast<char*>(h.name.data())),
                       reinterpret_cast<uint8_t*>(const_cast<char*>(h.value.data())), h.name.size(),
                       h.value.size(), NGHTTP2_NV_FLAG_NONE});
    return nva;
}
} // namespace

std::ostream& operator<<(std::ostream& os, const frame_record& f)
{
    os << "{type " << int(f.type) << " flags " << int(f.flags) << " stream " << f.stream_id;
    if (f.type == NGHTTP2_GOAWAY)
        os << " last " << f.last_stream_id << " error " << f.error_code;
    if (f.type == NGHTTP2_RST_STREAM)
        os << " error " << f.error_code;
    if (f.type == NGHTTP2_WINDOW_UPDATE)
        os << " increment " << f.window_increment;
    return os << "}";
}

std::string peer_stream::header(std::string_view name) const
{
    return find(headers, name);
}

std::string peer_stream::trailer(std::string_view name) const
{
    return find(trailers, name);
}

h2_peer::h2_peer(std::span<const nghttp2_settings_entry> settings,
                 std::uint32_t assumed_max_streams)
{
    nghttp2_session_callbacks* cb = nullptr;
    if (nghttp2_session_callbacks_new(&cb) != 0)
        throw std::bad_alloc();
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv_cb);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header_cb);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk_cb);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close_cb);
    nghttp2_session_callbacks_set_error_callback2(
        cb,
        [](nghttp2_session*, int, const char* msg, std::size_t len, void* user) -> int
        {
            static_cast<h2_peer*>(user)->errors.emplace_back(msg, len);
            return 0;
        });
    nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(
        cb,
        [](nghttp2_session*, const nghttp2_frame* frame, int lib_error, void* user) -> int
        {
            static_cast<h2_peer*>(user)->errors.push_back(
                "invalid frame of type " + std::to_string(frame->hd.type) + " on stream " +
                std::to_string(frame->hd.stream_id) + ": " + nghttp2_strerror(lib_error));
            return 0;
        });
    nghttp2_option* opt = nullptr;
    if (nghttp2_option_new(&opt) != 0)
    {
        nghttp2_session_callbacks_del(cb);
        throw std::bad_alloc();
    }
    nghttp2_option_set_peer_max_concurrent_streams(opt, assumed_max_streams);
    int rv = nghttp2_session_client_new2(&session_, cb, this, opt);
    nghttp2_option_del(opt);
    nghttp2_session_callbacks_del(cb);
    if (rv != 0)
        throw std::bad_alloc();
    rv = nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings.data(), settings.size());
    if (rv != 0)
        throw std::runtime_error("h2_peer: nghttp2_submit_settings failed");
}

h2_peer::~h2_peer()
{
    nghttp2_session_del(session_);
}

std::int32_t h2_peer::request(const std::vector<http2::header>& headers, bool end_stream)
{
    auto nva = to_nv(headers);
    nghttp2_data_provider provider{};
    provider.read_callback = read_body_cb;
    std::int32_t id = nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(),
                                             end_stream ? nullptr : &provider, nullptr);
    if (id < 0)
        throw std::runtime_error(std::string("h2_peer: submit_request: ") + nghttp2_strerror(id));
    streams[id];
    return id;
}

std::int32_t h2_peer::post(std::string_view path, bool end_stream)
{
    return request({{":method", "POST"},
                    {":scheme", "http"},
                    {":authority", "localhost"},
                    {":path", std::string(path)},
                    {"content-type", "application/grpc"},
                    {"te", "trailers"}},
                   end_stream);
}

void h2_peer::send(std::int32_t id, std::string_view data, bool end,
                   std::vector<http2::header> trailers)
{
    auto& s = streams.at(id);
    s.outgoing.append(data);
    s.end = s.end || end;
    if (end)
        s.outgoing_trailers = std::move(trailers);
    nghttp2_session_resume_data(session_, id);
}

void h2_peer::reset(std::int32_t id, std::uint32_t error_code)
{
    if (int rv = nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, error_code); rv != 0)
        last_error = last_error ? last_error : rv;
}

std::vector<unsigned char> h2_peer::take_output()
{
    std::vector<unsigned char> out;
    for (;;)
    {
        const uint8_t* data = nullptr;
        ssize_t n = nghttp2_session_mem_send(session_, &data);
        if (n < 0)
        {
            last_error = last_error ? last_error : static_cast<int>(n);
            break;
        }
        if (n == 0)
            break;
        out.insert(out.end(), data, data + n);
    }
    return out;
}

long h2_peer::receive(std::span<const unsigned char> data)
{
    ssize_t n = nghttp2_session_mem_recv(session_, data.data(), data.size());
    if (n < 0)
        last_error = last_error ? last_error : static_cast<int>(n);
    return static_cast<long>(n);
}

std::vector<frame_record> h2_peer::frames_of(std::uint8_t type) const
{
    std::vector<frame_record> out;
    std::copy_if(frames.begin(), frames.end(), std::back_inserter(out),
                 [&](const frame_record& f) { return f.type == type; });
    return out;
}

std::vector<frame_record> h2_peer::frames_of(std::uint8_t type, std::int32_t stream_id) const
{
    std::vector<frame_record> out;
    std::copy_if(frames.begin(), frames.end(), std::back_inserter(out),
                 [&](const frame_record& f) { return f.type == type && f.stream_id == stream_id; });
    return out;
}

std::int32_t h2_peer::stream_send_window(std::int32_t id) const
{
    return nghttp2_session_get_stream_remote_window_size(session_, id);
}

std::int32_t h2_peer::connection_send_window() const
{
    return nghttp2_session_get_remote_window_size(session_);
}

int h2_peer::on_frame_recv(const nghttp2_frame& frame)
{
    frame_record r;
    r.type = frame.hd.type;
    r.flags = frame.hd.flags;
    r.stream_id = frame.hd.stream_id;
    switch (frame.hd.type)
    {
    case NGHTTP2_RST_STREAM: r.error_code = frame.rst_stream.error_code; break;
    case NGHTTP2_GOAWAY:
        r.error_code = frame.goaway.error_code;
        r.last_stream_id = frame.goaway.last_stream_id;
        break;
    case NGHTTP2_WINDOW_UPDATE:
        r.window_increment = frame.window_update.window_size_increment;
        break;
    case NGHTTP2_SETTINGS:
        r.settings.assign(frame.settings.iv, frame.settings.iv + frame.settings.niv);
        break;
    default: break;
    }
    frames.push_back(std::move(r));
    return 0;
}

int h2_peer::on_header(const nghttp2_frame& frame, std::string_view name, std::string_view value)
{
    if (frame.hd.type != NGHTTP2_HEADERS)
        return 0;
    auto& s = streams[frame.hd.stream_id];
    auto& dst = frame.headers.cat == NGHTTP2_HCAT_HEADERS ? s.trailers : s.headers;
    dst.push_back({std::string(name), std::string(value)});
    return 0;
}

int h2_peer::on_data_chunk(std::int32_t id, std::span<const unsigned char> data)
{
    streams[id].body.append(reinterpret_cast<const char*>(data.data()), data.size());
    return 0;
}

int h2_peer::on_stream_close(std::int32_t id, std::uint32_t error_code)
{
    auto& s = streams[id];
    s.closed = true;
    s.close_error = error_code;
    return 0;
}

long h2_peer::read_body(std::int32_t id, unsigned char* buf, std::size_t len, std::uint32_t* flags)
{
    auto it = streams.find(id);
    if (it == streams.end())
        return NGHTTP2_ERR_CALLBACK_FAILURE;
    auto& s = it->second;
    std::size_t n = std::min(len, s.outgoing.size() - s.sent);
    std::memcpy(buf, s.outgoing.data() + s.sent, n);
    s.sent += n;
    if (s.sent < s.outgoing.size() || !s.end)
        return n == 0 ? static_cast<long>(NGHTTP2_ERR_DEFERRED) : static_cast<long>(n);
    *flags |= NGHTTP2_DATA_FLAG_EOF;
    if (!s.outgoing_trailers.empty())
    {
        auto nva = to_nv(s.outgoing_trailers);
        if (nghttp2_submit_trailer(session_, id, nva.data(), nva.size()) == 0)
            *flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
    }
    return static_cast<long>(n);
}

boost::system::error_code pump(h2_peer& peer, http2::server_session& server, int max_rounds)
{
    boost::system::error_code first;
    bool feeding = true;
    for (int round = 0; round < max_rounds; ++round)
    {
        auto in = peer.take_output();
        if (feeding && !in.empty())
        {
            if (auto ec = server.receive(in, std::chrono::steady_clock::now()))
            {
                first = first ? first : ec;
                feeding = false;
            }
        }
        std::vector<unsigned char> out;
        auto ec = server.produce(out, std::numeric_limits<std::size_t>::max());
        if (ec)
            first = first ? first : ec;
        if (!out.empty())
            peer.receive(out);
        if ((in.empty() || !feeding) && out.empty())
            return first;
        if (ec && out.empty())
            return first;
    }
    throw std::runtime_error("pump: the exchange did not settle");
}
} // namespace rpcplugin::test
