#include "rpcplugin/http2/error.hpp"

#include "detail/error_category.hpp"

#include <nghttp2/nghttp2.h>

namespace rpcplugin::http2
{
namespace
{
const char* describe_nghttp2(int ev) noexcept
{
    return nghttp2_strerror(ev);
}

const char* describe(int ev) noexcept
{
    switch (static_cast<errc>(ev))
    {
    case errc::internal: return "internal error in an HTTP/2 callback";
    case errc::stream_closed: return "the HTTP/2 stream is closed";
    case errc::too_many_glitches: return "too many invalid or suspicious HTTP/2 frames";
    case errc::too_many_pings: return "too many HTTP/2 PINGs without data";
    case errc::stream_id_skipped: return "HTTP/2 HEADERS on a lower, never-opened stream id";
    case errc::write_stalled: return "the peer did not read for the write stall timeout";
    case errc::keepalive_timeout: return "the peer did not answer a keepalive PING in time";
    case errc::connection_too_old: return "the connection exceeded its maximum age and grace";
    }
    return "unknown HTTP/2 error";
}
} // namespace

const boost::system::error_category& nghttp2_category() noexcept
{
    static const detail::named_category c("nghttp2", describe_nghttp2);
    return c;
}

const boost::system::error_category& http2_category() noexcept
{
    static const detail::named_category c("rpcplugin.http2", describe);
    return c;
}
} // namespace rpcplugin::http2
