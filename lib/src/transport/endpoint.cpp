#include "rpcplugin/transport/endpoint.hpp"

#include "rpcplugin/transport/error.hpp"

#include <charconv>

namespace rpcplugin::transport
{
namespace
{
bool is_alnum(char c) noexcept
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_hex(char c) noexcept
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// A host name or IPv4 literal: letters, digits, '-', '.', '_'.
bool valid_name(std::string_view host) noexcept
{
    for (char c : host)
        if (!is_alnum(c) && c != '-' && c != '.' && c != '_')
            return false;
    return true;
}

// An IPv6 literal (hex digits, ':', '.' for an embedded IPv4) with an optional "%zone".
bool valid_v6(std::string_view host) noexcept
{
    auto pct = host.find('%');
    auto addr = host.substr(0, pct);
    if (addr.find(':') == std::string_view::npos)
        return false;
    for (char c : addr)
        if (!is_hex(c) && c != ':' && c != '.')
            return false;
    if (pct == std::string_view::npos)
        return true;
    auto zone = host.substr(pct + 1);
    return !zone.empty() && valid_name(zone);
}
} // namespace

std::string endpoint::to_string() const
{
    if (family == kind::local)
        // parse_endpoint strips "//" after "unix:", so a path that starts with "//" keeps
        // its slashes only behind an explicit "unix://".
        return (path.starts_with("//") ? "unix://" : "unix:") + path;
    if (host.find(':') != std::string::npos)
        return "[" + host + "]:" + std::to_string(port);
    return host + ":" + std::to_string(port);
}

std::ostream& operator<<(std::ostream& os, const endpoint& ep)
{
    return os << ep.to_string();
}

endpoint unix_endpoint(std::string path)
{
    endpoint ep;
    ep.family = endpoint::kind::local;
    ep.path = std::move(path);
    return ep;
}

endpoint tcp_endpoint(std::string host, std::uint16_t port)
{
    endpoint ep;
    ep.family = endpoint::kind::tcp;
    ep.host = std::move(host);
    ep.port = port;
    return ep;
}

boost::system::result<endpoint> parse_endpoint(std::string_view text)
{
    if (text.starts_with("unix:"))
    {
        text.remove_prefix(5);
        if (text.starts_with("//"))
            text.remove_prefix(2);
        if (text.empty())
            return errc::bad_endpoint;
        return unix_endpoint(std::string(text));
    }
    std::string_view host;
    std::string_view port;
    bool bracketed = text.starts_with("[");
    if (bracketed)
    {
        auto close = text.find(']');
        if (close == std::string_view::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return errc::bad_endpoint;
        host = text.substr(1, close - 1);
        port = text.substr(close + 2);
    }
    else
    {
        auto colon = text.rfind(':');
        if (colon == std::string_view::npos || text.find(':') != colon)
            return errc::bad_endpoint;
        host = text.substr(0, colon);
        port = text.substr(colon + 1);
    }
    if (host.empty() || port.empty() || port.size() > 5)
        return errc::bad_endpoint;
    if (bracketed ? !valid_v6(host) : !valid_name(host))
        return errc::bad_endpoint;
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || end != port.data() + port.size() || value > 65535)
        return errc::bad_endpoint;
    return tcp_endpoint(std::string(host), static_cast<std::uint16_t>(value));
}
} // namespace rpcplugin::transport
