// Trampolines only: cast user_data, forward to the session, never throw into C.
#include "http2/detail/callbacks.hpp"

#include "rpcplugin/http2/client_session.hpp"
#include "rpcplugin/http2/server_session.hpp"

#include <memory>
#include <new>

namespace rpcplugin::http2::detail
{
namespace
{
template <class Session>
Session& self(void* user_data) noexcept
{
    return *static_cast<Session*>(user_data);
}

template <class Session>
int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user) noexcept
{
    return self<Session>(user).on_begin_headers(*frame);
}

template <class Session>
int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
              const uint8_t* value, size_t valuelen, uint8_t, void* user) noexcept
{
    return self<Session>(user).on_header(*frame, {name, namelen}, {value, valuelen});
}

template <class Session>
int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user) noexcept
{
    return self<Session>(user).on_frame_recv(*frame);
}

template <class Session>
int on_data_chunk_recv(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data,
                       size_t len, void* user) noexcept
{
    return self<Session>(user).on_data_chunk(stream_id, {data, len});
}

template <class Session>
int on_stream_close(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user) noexcept
{
    return self<Session>(user).on_stream_close(stream_id, error_code);
}

template <class Session>
int on_send_data(nghttp2_session*, nghttp2_frame* frame, const uint8_t* framehd, size_t length,
                 nghttp2_data_source*, void* user) noexcept
{
    return self<Session>(user).send_data(*frame, framehd, length);
}

int on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* user) noexcept
{
    return self<server_session>(user).on_frame_send(*frame);
}

int on_invalid_frame_recv(nghttp2_session*, const nghttp2_frame* frame, int lib_error,
                          void* user) noexcept
{
    return self<server_session>(user).on_invalid_frame(*frame, lib_error);
}

struct callbacks_deleter
{
    void operator()(nghttp2_session_callbacks* cb) const noexcept
    {
        nghttp2_session_callbacks_del(cb);
    }
};

using callbacks_ptr = std::unique_ptr<nghttp2_session_callbacks, callbacks_deleter>;

template <class Session>
callbacks_ptr build_common()
{
    nghttp2_session_callbacks* cb = nullptr;
    if (nghttp2_session_callbacks_new(&cb) != 0)
        throw std::bad_alloc();
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers<Session>);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header<Session>);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv<Session>);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk_recv<Session>);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close<Session>);
    nghttp2_session_callbacks_set_send_data_callback(cb, on_send_data<Session>);
    return callbacks_ptr(cb);
}
} // namespace

const nghttp2_session_callbacks* server_callbacks()
{
    static const auto table = []
    {
        auto cb = build_common<server_session>();
        nghttp2_session_callbacks_set_on_frame_send_callback(cb.get(), on_frame_send);
        nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(cb.get(),
                                                                     on_invalid_frame_recv);
        return cb;
    }();
    return table.get();
}

const nghttp2_session_callbacks* client_callbacks()
{
    static const auto table = build_common<client_session>();
    return table.get();
}

ssize_t read_body_callback(nghttp2_session*, int32_t stream_id, uint8_t* buf, size_t length,
                           uint32_t* data_flags, nghttp2_data_source*, void* user) noexcept
{
    return self<server_session>(user).read_body(stream_id, buf, length, data_flags);
}

ssize_t read_request_body_callback(nghttp2_session*, int32_t stream_id, uint8_t* buf,
                                   size_t length, uint32_t* data_flags, nghttp2_data_source*,
                                   void* user) noexcept
{
    return self<client_session>(user).read_body(stream_id, buf, length, data_flags);
}
} // namespace rpcplugin::http2::detail
