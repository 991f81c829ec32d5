#include "rpcplugin/wire/handshake.hpp"

#include "rpcplugin/codec/base64.hpp"
#include "rpcplugin/wire/certificate.hpp"
#include "rpcplugin/wire/json.hpp"
#include "rpcplugin/detail/text.hpp"

#include <algorithm>
#include <charconv>
#include <climits>
#include <cstdint>
#include <ostream>
#include <stdexcept>

namespace rpcplugin::wire
{
namespace
{
constexpr std::string_view not_a_plugin =
    "This binary is a plugin. These are not meant to be executed directly.\n"
    "Please execute the program that consumes these plugins, which will\n"
    "load any plugins automatically\n";

constexpr std::string_view misconfigured_cookie =
    "Misconfigured ServeConfig given to serve this plugin: no magic cookie\n"
    "key or value was set. Please notify the plugin author and report\n"
    "this as a bug.\n";

constexpr std::string_view mux_not_supported =
    "client requested gRPC broker multiplexing but plugin does not support the feature";

constexpr std::string_view base64_alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

using rpcplugin::detail::trim;

std::vector<std::string_view> split(std::string_view s, char separator)
{
    std::vector<std::string_view> parts;
    for (;;)
    {
        const auto at = s.find(separator);
        parts.push_back(s.substr(0, at));
        if (at == std::string_view::npos)
            return parts;
        s.remove_prefix(at + 1);
    }
}

// Go's strconv.Atoi (64-bit int): optional sign, decimal digits.
boost::system::result<std::int64_t, error> go_atoi(std::string_view s)
{
    const auto syntax = [&]
    {
        return make_error(errc::unrecognized_handshake,
                          "strconv.Atoi: parsing " + go_quote(s) + ": invalid syntax");
    };
    std::string_view digits = s;
    bool negative = false;
    if (!digits.empty() && (digits.front() == '+' || digits.front() == '-'))
    {
        negative = digits.front() == '-';
        digits.remove_prefix(1);
    }
    if (digits.empty())
        return syntax();
    std::uint64_t value = 0;
    bool overflow = false;
    for (char c : digits)
    {
        if (c < '0' || c > '9')
            return syntax();
        const auto d = static_cast<std::uint64_t>(c - '0');
        if (value > (UINT64_MAX - d) / 10)
            overflow = true;
        else
            value = value * 10 + d;
    }
    const std::uint64_t limit = negative ? std::uint64_t{1} << 63 : (std::uint64_t{1} << 63) - 1;
    if (overflow || value > limit)
        return make_error(errc::unrecognized_handshake,
                          "strconv.Atoi: parsing " + go_quote(s) + ": value out of range");
    return negative ? static_cast<std::int64_t>(0 - value) : static_cast<std::int64_t>(value);
}

// Go's strconv.ParseBool.
std::optional<bool> go_parse_bool(std::string_view s) noexcept
{
    if (s == "1" || s == "t" || s == "T" || s == "TRUE" || s == "true" || s == "True")
        return true;
    if (s == "0" || s == "f" || s == "F" || s == "FALSE" || s == "false" || s == "False")
        return false;
    return std::nullopt;
}

std::string go_int_slice(const std::set<int>& versions)
{
    std::string out = "[";
    for (int v : versions)
    {
        if (out.size() > 1)
            out += ' ';
        out += std::to_string(v);
    }
    out += ']';
    return out;
}

std::string go_string_slice(const std::vector<std::string>& items)
{
    std::string out = "[";
    for (const std::string& s : items)
    {
        if (out.size() > 1)
            out += ' ';
        out += s;
    }
    out += ']';
    return out;
}

bool has_forbidden_char(std::string_view s) noexcept
{
    return s.find_first_of("|\r\n") != std::string_view::npos;
}

std::optional<std::string> tcp_address_problem(std::string_view address)
{
    const auto colon = address.rfind(':');
    if (colon == std::string_view::npos)
        return "missing port in address";
    const std::string_view host = address.substr(0, colon);
    const std::string_view port = address.substr(colon + 1);
    if (host.find(':') != std::string_view::npos &&
        !(host.size() >= 2 && host.front() == '[' && host.back() == ']'))
        return "too many colons in address";
    if (port.empty() || port.size() > 5 ||
        !std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
        std::stoul(std::string(port)) > 65535)
        return "invalid port " + go_quote(port);
    return std::nullopt;
}
} // namespace

cookie_status check_cookie(std::string_view key, std::string_view value, const env_lookup& env)
{
    if (key.empty() || value.empty())
        return cookie_status::misconfigured;
    const std::optional<std::string> actual = env(key);
    return actual && *actual == value ? cookie_status::ok : cookie_status::mismatch;
}

std::string_view cookie_failure_message(cookie_status status) noexcept
{
    switch (status)
    {
    case cookie_status::ok: return {};
    case cookie_status::misconfigured: return misconfigured_cookie;
    case cookie_status::mismatch: return not_a_plugin;
    }
    return not_a_plugin;
}

boost::system::result<std::set<int>, error> parse_protocol_versions(std::string_view text)
{
    constexpr std::string_view variable = "PLUGIN_PROTOCOL_VERSIONS";
    std::set<int> versions;
    if (trim(text).empty())
        return versions;
    for (std::string_view entry : split(text, ','))
    {
        const std::string_view item = trim(entry);
        if (item.empty())
            return setting_error(std::string(variable),
                                 json_string(text) +
                                     " has an empty entry (expected comma-separated versions "
                                     "such as \"5,6\")");
        int value = 0;
        const auto [end, ec] = std::from_chars(item.data(), item.data() + item.size(), value);
        if (item.front() < '0' || item.front() > '9' || ec == std::errc::invalid_argument ||
            end != item.data() + item.size())
            return setting_error(std::string(variable),
                                 json_string(text) + ": " + json_string(item) +
                                     " is not a protocol version (a non-negative integer)");
        if (ec == std::errc::result_out_of_range)
            return setting_error(std::string(variable),
                                 json_string(text) + ": " + json_string(item) + " is too large");
        versions.insert(value);
    }
    return versions;
}

std::string format_versions(const std::set<int>& versions)
{
    std::string out = "[";
    for (int v : versions)
    {
        if (out.size() > 1)
            out += ", ";
        out += std::to_string(v);
    }
    out += ']';
    return out;
}

boost::system::result<version_choice, error> negotiate_version(const std::set<int>& served,
                                                               const std::set<int>& offered)
{
    if (served.empty())
        return setting_error("protocol_versions", "the plugin serves no protocol version");
    for (auto it = served.rbegin(); it != served.rend(); ++it)
    {
        if (offered.contains(*it))
            return version_choice{*it, {}};
    }
    const int oldest = *served.begin();
    if (offered.empty())
        return version_choice{
            oldest, "the host offered no protocol versions (PLUGIN_PROTOCOL_VERSIONS is not set); "
                    "announcing the oldest served version " +
                        std::to_string(oldest) + " (served: " + format_versions(served) + ")"};
    return version_choice{oldest, "no protocol version in common: the plugin serves " +
                                      format_versions(served) + ", the host offers " +
                                      format_versions(offered) +
                                      " (PLUGIN_PROTOCOL_VERSIONS); announcing the oldest served "
                                      "version " +
                                      std::to_string(oldest) + ", which the host will refuse"};
}

std::string dial_target(std::string_view network, std::string_view address)
{
    if (network != "unix")
        return std::string(address);
    // parse_endpoint strips "//" after "unix:": such a path keeps its slashes only behind
    // an explicit "unix://".
    return (address.starts_with("//") ? "unix://" : "unix:") + std::string(address);
}

std::ostream& operator<<(std::ostream& os, const handshake_line& line)
{
    os << "{core " << line.core_version << ", app " << line.app_version << ", " << line.network
       << ' ' << line.address << ", " << line.protocol << ", cert " << line.server_cert_der.size()
       << " bytes, multiplex ";
    if (line.multiplex)
        os << (*line.multiplex ? "true" : "false");
    else
        os << "absent";
    return os << '}';
}

boost::system::result<std::string, error> format_handshake_line(const handshake_line& line)
{
    if (line.core_version < 0 || line.app_version < 0)
        return make_error(errc::bad_handshake_line, "protocol versions must not be negative");
    if (line.network != "unix" && line.network != "tcp")
        return make_error(errc::bad_handshake_line,
                          "network must be \"unix\" or \"tcp\", not " + json_string(line.network));
    if (line.address.empty())
        return make_error(errc::bad_handshake_line, "empty address");
    if (has_forbidden_char(line.address))
        return make_error(errc::bad_handshake_line,
                          "address " + json_string(line.address) +
                              " contains '|' or a line break, which the host cannot parse");
    if (line.protocol.empty() || has_forbidden_char(line.protocol))
        return make_error(errc::bad_handshake_line,
                          "protocol " + json_string(line.protocol) +
                              " is empty or contains '|' or a line break");

    std::string out = std::to_string(line.core_version);
    out += '|';
    out += std::to_string(line.app_version);
    out += '|';
    out += line.network;
    out += '|';
    out += line.address;
    out += '|';
    out += line.protocol;
    out += '|';
    out += base64_der_nopad(line.server_cert_der);
    if (line.multiplex)
        out += *line.multiplex ? "|true" : "|false";
    out += '\n';
    // std::string would also construct an error: name the alternative.
    return {boost::system::in_place_value, std::move(out)};
}

boost::system::result<handshake_line, error> parse_handshake_line(std::string_view text,
                                                                  const host_expectations& host)
{
    const std::string_view line = trim(text.substr(0, text.find('\n')));
    const std::vector<std::string_view> parts = split(line, '|');
    if (parts.size() < 4)
        return make_error(errc::unrecognized_handshake,
                          "Unrecognized remote plugin message: " + std::string(line));

    handshake_line out;
    {
        auto core = go_atoi(parts[0]);
        if (!core)
            return make_error(errc::core_version_mismatch,
                              "error parsing core protocol version: " + core.error().message);
        if (*core != core_protocol_version)
            return make_error(errc::core_version_mismatch,
                              "incompatible core API version with plugin. Plugin version: " +
                                  std::string(parts[0]) +
                                  ", Core version: " + std::to_string(core_protocol_version) +
                                  "\n\nTo fix this, the plugin usually only needs to be "
                                  "recompiled.\nPlease report this to the plugin author");
        out.core_version = core_protocol_version;
    }
    {
        auto app = go_atoi(parts[1]);
        if (!app)
            return make_error(errc::app_version_mismatch, "Error parsing protocol version " +
                                                              go_quote(parts[1]) + ": " +
                                                              app.error().message);
        if (*app < INT_MIN || *app > INT_MAX || !host.versions.contains(static_cast<int>(*app)))
            return make_error(
                errc::app_version_mismatch,
                "incompatible API version with plugin. Plugin version: " + std::to_string(*app) +
                    ", Client versions: " + go_int_slice(host.versions));
        out.app_version = static_cast<int>(*app);
    }

    out.network = parts[2];
    out.address = parts[3];
    if (out.network == "tcp")
    {
        if (auto problem = tcp_address_problem(out.address))
            return make_error(errc::bad_address, "address " + out.address + ": " + *problem);
    }
    else if (out.network == "unix")
    {
        if (out.address.empty())
            return make_error(errc::bad_address, "empty unix socket path");
    }
    else
        return make_error(errc::bad_address, "unknown address type: " + out.network);

    out.protocol = parts.size() >= 5 ? std::string(parts[4]) : std::string("netrpc");
    if (std::find(host.allowed_protocols.begin(), host.allowed_protocols.end(), out.protocol) ==
        host.allowed_protocols.end())
        return make_error(errc::unsupported_protocol,
                          "unsupported plugin protocol " + go_quote(out.protocol) +
                              ". Supported: " + go_string_slice(host.allowed_protocols));

    if (parts.size() >= 6 && parts[5].size() > 50)
    {
        const std::string_view cert = parts[5];
        const auto bad = cert.find_first_not_of(base64_alphabet);
        if (bad != std::string_view::npos || cert.size() % 4 == 1)
            return make_error(
                errc::bad_server_certificate,
                "error parsing server cert: illegal base64 data at input byte " +
                    std::to_string(bad != std::string_view::npos ? bad : cert.size() - 1));
        auto der = codec::base64_decode(cert);
        if (!der)
            return make_error(errc::bad_server_certificate,
                              "error parsing server cert: illegal base64 data");
        auto info = parse_certificate_der(*der);
        if (!info)
            return make_error(errc::bad_server_certificate,
                              "error parsing server cert: " + info.error().message);
        out.server_cert_der = std::move(*der);
    }

    if (parts.size() >= 7)
        out.multiplex = go_parse_bool(parts[6]);
    if (host.multiplex_requested && out.protocol == "grpc")
    {
        if (parts.size() <= 6)
            return make_error(errc::multiplex_unsupported,
                              std::string(mux_not_supported) +
                                  "; for Go plugins, you will need to update the "
                                  "github.com/hashicorp/go-plugin dependency and recompile");
        if (!out.multiplex)
            return make_error(errc::multiplex_unsupported,
                              "error parsing " + go_quote(parts[6]) +
                                  " as a boolean for gRPC broker multiplexing support");
        if (!*out.multiplex)
            return make_error(errc::multiplex_unsupported, std::string(mux_not_supported));
    }
    return out;
}
} // namespace rpcplugin::wire
