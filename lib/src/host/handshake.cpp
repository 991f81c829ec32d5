#include "rpcplugin/host/handshake.hpp"

#include <array>
#include <utility>

namespace rpcplugin::host
{
errc classify_handshake_error(const plugin::handshake_error& e) noexcept
{
    // The message prefixes of plugin::parse_handshake_line, in its order of checks.
    static constexpr std::array<std::pair<std::string_view, errc>, 11> prefixes{{
        {"Unrecognized remote plugin message", errc::unrecognized_handshake},
        {"error parsing core protocol version", errc::core_version_mismatch},
        {"incompatible core API version", errc::core_version_mismatch},
        {"Error parsing protocol version", errc::app_version_mismatch},
        {"incompatible API version", errc::app_version_mismatch},
        {"address ", errc::bad_address},
        {"empty unix socket path", errc::bad_address},
        {"unknown address type", errc::bad_address},
        {"unsupported plugin protocol", errc::unsupported_protocol},
        {"error parsing server cert", errc::bad_server_certificate},
        {"error parsing \"", errc::multiplex_unsupported},
    }};
    std::string_view m = e.message;
    for (const auto& [prefix, code] : prefixes)
        if (m.starts_with(prefix))
            return code;
    if (m.find("multiplexing") != std::string_view::npos)
        return errc::multiplex_unsupported;
    return errc::unrecognized_handshake;
}

boost::system::result<plugin::handshake_line, failure>
check_handshake_line(std::string_view line, const plugin::host_expectations& expect, bool auto_mtls)
{
    auto parsed = plugin::parse_handshake_line(line, expect);
    if (!parsed)
        return failure{classify_handshake_error(parsed.error()), parsed.error().message};
    if (auto_mtls && parsed->server_cert_der.empty())
        return failure{errc::missing_server_certificate,
                       "AutoMTLS is on, but the plugin sent no server certificate in field 6 "
                       "of its handshake line (it does not support AutoMTLS)"};
    return std::move(*parsed);
}
} // namespace rpcplugin::host
