#include "rpcplugin/host/handshake.hpp"

#include <utility>

namespace rpcplugin::host
{
boost::system::result<wire::handshake_line, failure>
check_handshake_line(std::string_view line, const wire::host_expectations& expect, bool auto_mtls)
{
    auto parsed = wire::parse_handshake_line(line, expect);
    if (!parsed)
        return parsed.error();
    if (auto_mtls && parsed->server_cert_der.empty())
        return make_error(errc::missing_server_certificate,
                          "AutoMTLS is on, but the plugin sent no server certificate in field 6 "
                          "of its handshake line (it does not support AutoMTLS)");
    return std::move(*parsed);
}
} // namespace rpcplugin::host
