#include "rpcplugin/http2/refusal.hpp"

#include <nghttp2/nghttp2.h>

#include <memory>
#include <new>

namespace rpcplugin::http2
{
namespace
{
struct session_deleter
{
    void operator()(nghttp2_session* s) const noexcept { nghttp2_session_del(s); }
};
struct callbacks_deleter
{
    void operator()(nghttp2_session_callbacks* cb) const noexcept
    {
        nghttp2_session_callbacks_del(cb);
    }
};
} // namespace

std::vector<unsigned char> refusal_frames(std::uint32_t error_code, std::string_view debug)
{
    nghttp2_session_callbacks* raw_cb = nullptr;
    if (nghttp2_session_callbacks_new(&raw_cb) != 0)
        throw std::bad_alloc();
    std::unique_ptr<nghttp2_session_callbacks, callbacks_deleter> cb(raw_cb);
    nghttp2_session* raw = nullptr;
    if (nghttp2_session_server_new(&raw, cb.get(), nullptr) != 0)
        throw std::bad_alloc();
    std::unique_ptr<nghttp2_session, session_deleter> session(raw);
    nghttp2_submit_settings(raw, NGHTTP2_FLAG_NONE, nullptr, 0);
    nghttp2_submit_goaway(raw, NGHTTP2_FLAG_NONE, 0, error_code,
                          reinterpret_cast<const uint8_t*>(debug.data()), debug.size());
    std::vector<unsigned char> out;
    for (;;)
    {
        const uint8_t* data = nullptr;
        ssize_t n = nghttp2_session_mem_send(raw, &data);
        if (n <= 0)
            break;
        out.insert(out.end(), data, data + n);
    }
    return out;
}
} // namespace rpcplugin::http2
