// Trampolines only: cast user_data, forward to the session's events, never throw into C:
// an exception from an event fails the session with errc::internal (a body being sent is
// abandoned first, so that no half frame goes out).
#include "http2/detail/callbacks.hpp"

#include "http2/detail/client_state.hpp"
#include "http2/detail/server_state.hpp"
#include "http2/detail/session_core.hpp"
#include "rpcplugin/http2/error.hpp"

#include <memory>
#include <new>

namespace rpcplugin::http2::detail
{
namespace
{
template <class Events>
typename Events::session& self(void* user_data) noexcept
{
    return *static_cast<typename Events::session*>(user_data);
}

// Runs `event(session)`; an exception fails the session (see above).
template <class Events, class Event>
auto guarded(void* user, Event&& event, bool sending_body = false) noexcept
    -> decltype(event(self<Events>(user)))
{
    auto& s = self<Events>(user);
    try
    {
        return event(s);
    }
    catch (...)
    {
        session_core& core = Events::core(s);
        if (sending_body)
            core.abandon();
        return core.fail(errc::internal);
    }
}

template <class Events>
int on_begin_headers(nghttp2_session*, const nghttp2_frame* frame, void* user) noexcept
{
    return guarded<Events>(user, [&](auto& s) { return Events::on_begin_headers(s, *frame); });
}

template <class Events>
int on_header(nghttp2_session*, const nghttp2_frame* frame, const uint8_t* name, size_t namelen,
              const uint8_t* value, size_t valuelen, uint8_t, void* user) noexcept
{
    return guarded<Events>(
        user,
        [&](auto& s) {
            return Events::on_header(s, *frame, {name, namelen}, {value, valuelen});
        });
}

template <class Events>
int on_frame_recv(nghttp2_session*, const nghttp2_frame* frame, void* user) noexcept
{
    return guarded<Events>(user, [&](auto& s) { return Events::on_frame_recv(s, *frame); });
}

template <class Events>
int on_data_chunk_recv(nghttp2_session*, uint8_t, int32_t stream_id, const uint8_t* data,
                       size_t len, void* user) noexcept
{
    return guarded<Events>(user,
                           [&](auto& s) {
                               return Events::on_data_chunk(s, stream_id, {data, len});
                           });
}

template <class Events>
int on_stream_close(nghttp2_session*, int32_t stream_id, uint32_t error_code, void* user) noexcept
{
    return guarded<Events>(user, [&](auto& s)
                           { return Events::on_stream_close(s, stream_id, error_code); });
}

template <class Events>
int on_send_data(nghttp2_session*, nghttp2_frame* frame, const uint8_t* framehd, size_t length,
                 nghttp2_data_source*, void* user) noexcept
{
    return Events::send_data(self<Events>(user), *frame, framehd, length);
}

template <class Events>
ssize_t read_body(nghttp2_session*, int32_t stream_id, uint8_t* buf, size_t length,
                  uint32_t* data_flags, nghttp2_data_source*, void* user) noexcept
{
    return guarded<Events>(
        user,
        [&](auto& s) -> ssize_t
        { return Events::read_body(s, stream_id, buf, length, data_flags); },
        true);
}

int on_frame_send(nghttp2_session*, const nghttp2_frame* frame, void* user) noexcept
{
    return server_events::on_frame_send(self<server_events>(user), *frame);
}

int on_invalid_frame_recv(nghttp2_session*, const nghttp2_frame* frame, int lib_error,
                          void* user) noexcept
{
    return server_events::on_invalid_frame(self<server_events>(user), *frame, lib_error);
}

struct callbacks_deleter
{
    void operator()(nghttp2_session_callbacks* cb) const noexcept
    {
        nghttp2_session_callbacks_del(cb);
    }
};

using callbacks_ptr = std::unique_ptr<nghttp2_session_callbacks, callbacks_deleter>;

template <class Events>
callbacks_ptr build_common()
{
    nghttp2_session_callbacks* cb = nullptr;
    if (nghttp2_session_callbacks_new(&cb) != 0)
        throw std::bad_alloc();
    nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers<Events>);
    nghttp2_session_callbacks_set_on_header_callback(cb, on_header<Events>);
    nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv<Events>);
    nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk_recv<Events>);
    nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close<Events>);
    nghttp2_session_callbacks_set_send_data_callback(cb, on_send_data<Events>);
    return callbacks_ptr(cb);
}
} // namespace

const session_callbacks& server_callbacks()
{
    static const auto table = []
    {
        auto cb = build_common<server_events>();
        nghttp2_session_callbacks_set_on_frame_send_callback(cb.get(), on_frame_send);
        nghttp2_session_callbacks_set_on_invalid_frame_recv_callback(cb.get(),
                                                                     on_invalid_frame_recv);
        return cb;
    }();
    static const session_callbacks callbacks{table.get(), read_body<server_events>};
    return callbacks;
}

const session_callbacks& client_callbacks()
{
    static const auto table = build_common<client_events>();
    static const session_callbacks callbacks{table.get(), read_body<client_events>};
    return callbacks;
}
} // namespace rpcplugin::http2::detail
