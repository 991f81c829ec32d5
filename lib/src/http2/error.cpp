#include "rpcplugin/http2/error.hpp"

#include <nghttp2/nghttp2.h>

#include <string>

namespace rpcplugin::http2
{
namespace
{
// error_category's destructor is protected and non-virtual by design; categories are
// function-local statics, never deleted through a base pointer.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class lib_category final : public boost::system::error_category
{
public:
    const char* name() const noexcept override { return "nghttp2"; }
    std::string message(int ev) const override { return nghttp2_strerror(ev); }
};

class own_category final : public boost::system::error_category
{
public:
    const char* name() const noexcept override { return "rpcplugin.http2"; }
    std::string message(int ev) const override
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
};
#pragma GCC diagnostic pop
} // namespace

const boost::system::error_category& nghttp2_category() noexcept
{
    static const lib_category c;
    return c;
}

const boost::system::error_category& http2_category() noexcept
{
    static const own_category c;
    return c;
}
} // namespace rpcplugin::http2
