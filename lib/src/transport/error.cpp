#include "rpcplugin/transport/error.hpp"

#include "detail/error_category.hpp"

namespace rpcplugin::transport
{
namespace
{
const char* describe(int ev) noexcept
{
    switch (static_cast<errc>(ev))
    {
    case errc::bad_endpoint: return "endpoint is neither unix:PATH nor HOST:PORT";
    case errc::path_too_long: return "unix socket path is too long";
    case errc::address_in_use: return "another process is accepting on the socket path";
    case errc::not_a_socket: return "the socket path exists and is not a socket";
    case errc::tls_required: return "the listener requires TLS; the peer sent plaintext";
    case errc::unexpected_tls: return "the listener is plaintext; the peer sent a TLS handshake";
    case errc::alpn_not_h2: return "the peer did not negotiate ALPN h2";
    case errc::http1_request: return "an HTTP/1.x request reached an HTTP/2-only listener";
    case errc::handshake_timeout: return "the TLS handshake or HTTP/2 preface timed out";
    }
    return "unknown transport error";
}
} // namespace

const boost::system::error_category& transport_category() noexcept
{
    static const detail::named_category c("rpcplugin.transport", describe);
    return c;
}
} // namespace rpcplugin::transport
