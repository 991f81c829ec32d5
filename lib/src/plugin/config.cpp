#include "rpcplugin/plugin/config.hpp"

#include "rpcplugin/wire/certificate.hpp"
#include "rpcplugin/wire/handshake.hpp"
#include "rpcplugin/wire/json.hpp"
#include "rpcplugin/detail/text.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ostream>

namespace rpcplugin::plugin
{
namespace
{
using boost::system::result;

constexpr std::string_view file_prefix = "file://";

using rpcplugin::detail::trim;

std::string lower(std::string_view s)
{
    std::string out(s);
    for (char& c : out)
    {
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    }
    return out;
}

wire::error error(std::string_view variable, std::string message)
{
    return wire::setting_error(std::string(variable), std::move(message));
}

enum class value_kind
{
    text, // trimmed when read from a file
    pem,  // kept as is
};

// Fetches a variable, resolving file:// values. nullopt when absent or empty.
class source
{
public:
    source(const env_lookup& env, const file_reader& read)
        : env_(env)
        , read_(read)
    {
    }

    result<std::optional<std::string>, wire::error> get(std::string_view variable,
                                                        value_kind kind = value_kind::text) const
    {
        std::optional<std::string> value = env_(variable);
        if (!value || value->empty())
            return std::optional<std::string>{};
        if (!std::string_view(*value).starts_with(file_prefix))
            return value;
        const std::string path = value->substr(file_prefix.size());
        if (path.empty())
            return error(variable, "\"file://\" needs a path, as in file:///etc/plugin/value");
        auto contents = read_(path);
        if (!contents)
            return error(variable, "cannot read " + wire::json_string(path) + ": " +
                                       contents.error().message());
        std::string text =
            kind == value_kind::pem ? std::move(*contents) : std::string(trim(*contents));
        if (trim(text).empty())
            return error(variable, "the file " + wire::json_string(path) + " is empty");
        return std::optional<std::string>{std::move(text)};
    }

private:
    const env_lookup& env_;
    const file_reader& read_;
};

result<bool, wire::error> to_bool(std::string_view variable, std::string_view text)
{
    if (auto b = parse_bool(text))
        return *b;
    return error(variable,
                 wire::json_string(text) + " is not a boolean (true/false, yes/no, 1/0, on/off)");
}

result<double, wire::error> to_positive_decimal(std::string_view variable, std::string_view text)
{
    double value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value) ||
        value <= 0)
        return error(variable, wire::json_string(text) + " is not a positive decimal number");
    return value;
}

result<std::uint32_t, wire::error> to_burst(std::string_view variable, std::string_view text)
{
    std::uint64_t value = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec == std::errc::invalid_argument || end != text.data() + text.size() || value < 1 ||
        value > 1'000'000'000 || ec == std::errc::result_out_of_range)
        return error(variable, wire::json_string(text) + " is not an integer from 1 to 1000000000");
    return static_cast<std::uint32_t>(value);
}

result<std::chrono::milliseconds, wire::error> to_seconds(std::string_view variable,
                                                          std::string_view text)
{
    double value = -1;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc{} || end != text.data() + text.size() || !std::isfinite(value) ||
        value < 0 || value > 3600)
        return error(variable,
                     wire::json_string(text) + " is not a number of seconds from 0 to 3600");
    return std::chrono::milliseconds{std::llround(value * 1000)};
}

result<std::vector<transport_kind>, wire::error> to_transports(std::string_view variable,
                                                               std::string_view text)
{
    std::vector<transport_kind> kinds;
    std::string_view rest = text;
    for (;;)
    {
        const auto comma = rest.find(',');
        const std::string name = lower(trim(rest.substr(0, comma)));
        transport_kind kind;
        if (name == "unix")
            kind = transport_kind::unix_socket;
        else if (name == "tcp")
            kind = transport_kind::tcp;
        else
            return error(variable, wire::json_string(text) + ": " + wire::json_string(name) +
                                       " is not a transport (expected unix, tcp or both, "
                                       "comma-separated, in order of preference)");
        if (std::find(kinds.begin(), kinds.end(), kind) != kinds.end())
            return error(variable,
                         wire::json_string(text) + " lists " + wire::json_string(name) + " twice");
        kinds.push_back(kind);
        if (comma == std::string_view::npos)
            return kinds;
        rest.remove_prefix(comma + 1);
    }
}

result<void, wire::error> check_pem_certificates(std::string_view variable, const std::string& pem)
{
    if (pem.empty())
        return {};
    if (auto parsed = wire::parse_certificates_pem(pem); !parsed)
        return error(variable, parsed.error().message);
    return {};
}

result<std::set<int>, wire::error> to_versions(std::string_view, std::string_view text)
{
    return wire::parse_protocol_versions(text);
}

result<rpcplugin::log_level, wire::error> to_log_level(std::string_view variable,
                                                       std::string_view text)
{
    if (const auto level = parse_log_level(text))
        return *level;
    return error(variable, wire::json_string(text) +
                               " is not a log level (trace, debug, info, warn, error or off)");
}

// How a set variable changes the config. `Parse(variable, text)` returns the member's value
// or the error naming the variable.
using applier = result<void, wire::error> (*)(config& c, std::string_view variable,
                                              const std::string& value);

// The text as it is.
template <auto Member>
result<void, wire::error> text(config& c, std::string_view, const std::string& value)
{
    c.*Member = value;
    return {};
}

// Set means true, whatever the value (as go-plugin tests PLUGIN_MULTIPLEX_GRPC).
template <auto Member>
result<void, wire::error> present(config& c, std::string_view, const std::string&)
{
    c.*Member = true;
    return {};
}

template <auto Member, auto Parse>
result<void, wire::error> parsed(config& c, std::string_view variable, const std::string& value)
{
    auto v = Parse(variable, value);
    if (!v)
        return v.error();
    c.*Member = std::move(*v);
    return {};
}

// One environment variable: its name, how its value is read, what it sets (called only
// when it is set and not empty).
struct setting
{
    std::string_view variable;
    value_kind kind;
    applier apply;
};

// clang-format off
constexpr setting settings[] = {
    {"PLUGIN_MAGIC_COOKIE_KEY",               value_kind::text, text<&config::magic_cookie_key>},
    {"PLUGIN_MAGIC_COOKIE_VALUE",             value_kind::text, text<&config::magic_cookie_value>},
    {"PLUGIN_PROTOCOL_VERSIONS",              value_kind::text, parsed<&config::host_protocol_versions, to_versions>},
    {"PLUGIN_CLIENT_CERT",                    value_kind::pem,  text<&config::client_cert_pem>},
    {"PLUGIN_UNIX_SOCKET_DIR",                value_kind::text, text<&config::unix_socket_dir>},
    {"PLUGIN_UNIX_SOCKET_GROUP",              value_kind::text, text<&config::unix_socket_group>},
    {"PLUGIN_MULTIPLEX_GRPC",                 value_kind::text, present<&config::multiplex_grpc_requested>},
    {"PLUGIN_SERVER_TRANSPORTS",              value_kind::text, parsed<&config::transports, to_transports>},
    {"PLUGIN_SERVER_CERT",                    value_kind::pem,  text<&config::server_cert_pem>},
    {"PLUGIN_SERVER_KEY",                     value_kind::pem,  text<&config::server_key_pem>},
    {"PLUGIN_CLIENT_ROOT_CERTS",              value_kind::pem,  text<&config::client_root_certs_pem>},
    {"PLUGIN_HEALTH_SERVICE_ENABLED",         value_kind::text, parsed<&config::health_enabled, to_bool>},
    {"PLUGIN_RATE_LIMIT_ENABLED",             value_kind::text, parsed<&config::rate_limit_enabled, to_bool>},
    {"PLUGIN_RATE_LIMIT_REQUESTS_PER_SECOND", value_kind::text, parsed<&config::rate_limit_requests_per_second, to_positive_decimal>},
    {"PLUGIN_RATE_LIMIT_BURST_CAPACITY",      value_kind::text, parsed<&config::rate_limit_burst_capacity, to_burst>},
    {"PLUGIN_SHUTDOWN_FILE_PATH",             value_kind::text, text<&config::shutdown_file_path>},
    {"PLUGIN_GRPC_GRACE_PERIOD",              value_kind::text, parsed<&config::grace_period, to_seconds>},
    {"PLUGIN_CAPTURE_STDIO",                  value_kind::text, parsed<&config::capture_stdio, to_bool>},
    {"PLUGIN_DEBUG",                          value_kind::text, parsed<&config::debug, to_bool>},
    {"PLUGIN_REATTACH_NAME",                  value_kind::text, text<&config::reattach_name>},
    {"PLUGIN_LOG_LEVEL",                      value_kind::text, parsed<&config::log_level, to_log_level>},
};
// clang-format on
} // namespace

env_lookup process_environment()
{
    return [](std::string_view name) -> std::optional<std::string>
    {
        const std::string key(name);
        const char* value = std::getenv(key.c_str());
        if (!value)
            return std::nullopt;
        return std::string(value);
    };
}

result<std::string> read_file(const std::string& path)
{
    std::FILE* file = std::fopen(path.c_str(), "rb");
    if (!file)
        return boost::system::error_code(errno, boost::system::system_category());
    std::string contents;
    char buffer[8192];
    for (;;)
    {
        const std::size_t n = std::fread(buffer, 1, sizeof(buffer), file);
        contents.append(buffer, n);
        if (n < sizeof(buffer))
            break;
    }
    const int failure = std::ferror(file) ? errno : 0;
    std::fclose(file);
    if (failure != 0)
        return boost::system::error_code(failure, boost::system::system_category());
    return contents;
}

std::string_view to_string(transport_kind kind) noexcept
{
    return kind == transport_kind::tcp ? "tcp" : "unix";
}

std::ostream& operator<<(std::ostream& os, transport_kind kind)
{
    return os << to_string(kind);
}

std::optional<bool> parse_bool(std::string_view text) noexcept
{
    if (text.size() > 5)
        return std::nullopt;
    char buf[6] = {};
    for (std::size_t i = 0; i < text.size(); ++i)
        buf[i] =
            (text[i] >= 'A' && text[i] <= 'Z') ? static_cast<char>(text[i] - 'A' + 'a') : text[i];
    const std::string_view t(buf, text.size());
    if (t == "true" || t == "yes" || t == "1" || t == "on")
        return true;
    if (t == "false" || t == "no" || t == "0" || t == "off")
        return false;
    return std::nullopt;
}

std::optional<rpcplugin::log_level> parse_log_level(std::string_view text) noexcept
{
    if (text.size() > 8)
        return std::nullopt;
    char buf[9] = {};
    for (std::size_t i = 0; i < text.size(); ++i)
        buf[i] =
            (text[i] >= 'A' && text[i] <= 'Z') ? static_cast<char>(text[i] - 'A' + 'a') : text[i];
    const std::string_view t(buf, text.size());
    using rpcplugin::log_level;
    if (t == "trace")
        return log_level::trace;
    if (t == "debug")
        return log_level::debug;
    if (t == "info")
        return log_level::info;
    if (t == "warn" || t == "warning")
        return log_level::warn;
    if (t == "error" || t == "critical")
        return log_level::error;
    if (t == "off")
        return log_level::off;
    return std::nullopt;
}

result<config, wire::error> load_config(const config& defaults, const env_lookup& env,
                                        const file_reader& read)
{
    config c = defaults;
    const source src(env, read);

    // PLUGIN_MIN_PORT and PLUGIN_MAX_PORT are read together.
    auto min_port = src.get("PLUGIN_MIN_PORT");
    if (!min_port)
        return min_port.error();
    auto max_port = src.get("PLUGIN_MAX_PORT");
    if (!max_port)
        return max_port.error();
    if (*min_port || *max_port)
    {
        const auto view = [](const std::optional<std::string>& s)
        { return s ? std::optional<std::string_view>(*s) : std::nullopt; };
        auto range = parse_port_range(view(*min_port), view(*max_port));
        if (!range)
            return range.error();
        c.ports = *range;
    }

    for (const setting& s : settings)
    {
        auto value = src.get(s.variable, s.kind);
        if (!value)
            return value.error();
        if (!*value)
            continue;
        if (auto applied = s.apply(c, s.variable, **value); !applied)
            return applied.error();
    }

    if (auto valid = validate_config(c); !valid)
        return valid.error();
    return c;
}

result<void, wire::error> validate_config(const config& c)
{
    if (c.protocol_versions.empty())
        return error("protocol_versions", "the plugin serves no protocol version");
    if (*c.protocol_versions.begin() < 0)
        return error("protocol_versions", "protocol version " +
                                              std::to_string(*c.protocol_versions.begin()) +
                                              " is negative");
    if (!c.host_protocol_versions.empty() && *c.host_protocol_versions.begin() < 0)
        return error("PLUGIN_PROTOCOL_VERSIONS",
                     "protocol version " + std::to_string(*c.host_protocol_versions.begin()) +
                         " is negative");
    if (c.magic_cookie_key.find('=') != std::string::npos)
        return error("PLUGIN_MAGIC_COOKIE_KEY", wire::json_string(c.magic_cookie_key) +
                                                    " is not a variable name (it contains '=')");

    if (c.transports.empty())
        return error("PLUGIN_SERVER_TRANSPORTS", "no transport is enabled");
    for (std::size_t i = 0; i < c.transports.size(); ++i)
    {
        if (std::find(c.transports.begin() + static_cast<std::ptrdiff_t>(i) + 1, c.transports.end(),
                      c.transports[i]) != c.transports.end())
            return error("PLUGIN_SERVER_TRANSPORTS",
                         "lists \"" + std::string(to_string(c.transports[i])) + "\" twice");
    }
    if (c.ports.min > c.ports.max)
        return error("PLUGIN_MIN_PORT", "value of " + std::to_string(c.ports.min) +
                                            " is greater than PLUGIN_MAX_PORT value of " +
                                            std::to_string(c.ports.max));
    if (c.unix_socket_dir.find_first_of("|\r\n") != std::string::npos)
        return error("PLUGIN_UNIX_SOCKET_DIR",
                     wire::json_string(c.unix_socket_dir) +
                         " contains '|' or a line break, which cannot go into the handshake line");

    if (!std::isfinite(c.rate_limit_requests_per_second) || c.rate_limit_requests_per_second <= 0)
        return error("PLUGIN_RATE_LIMIT_REQUESTS_PER_SECOND",
                     std::to_string(c.rate_limit_requests_per_second) +
                         " is not a positive decimal number");
    if (c.rate_limit_burst_capacity < 1 || c.rate_limit_burst_capacity > 1'000'000'000)
        return error("PLUGIN_RATE_LIMIT_BURST_CAPACITY",
                     std::to_string(c.rate_limit_burst_capacity) +
                         " is not an integer from 1 to 1000000000");
    if (c.grace_period < std::chrono::milliseconds{0} || c.grace_period > std::chrono::hours{1})
        return error("PLUGIN_GRPC_GRACE_PERIOD",
                     std::to_string(c.grace_period.count()) + " ms is not from 0 to 3600 seconds");

    if (c.stdio_buffer_limit < 1)
        return error("stdio_buffer_limit", "must be at least 1 byte");

    if (auto r = check_pem_certificates("PLUGIN_CLIENT_CERT", c.client_cert_pem); !r)
        return r.error();
    if (auto r = check_pem_certificates("PLUGIN_CLIENT_ROOT_CERTS", c.client_root_certs_pem); !r)
        return r.error();
    if (c.server_cert_pem.empty() != c.server_key_pem.empty())
    {
        if (c.server_key_pem.empty())
            return error("PLUGIN_SERVER_KEY", "must be set together with PLUGIN_SERVER_CERT");
        return error("PLUGIN_SERVER_CERT", "must be set together with PLUGIN_SERVER_KEY");
    }
    if (!c.server_cert_pem.empty())
    {
        if (auto r = check_pem_certificates("PLUGIN_SERVER_CERT", c.server_cert_pem); !r)
            return r.error();
        if (auto key = wire::parse_private_key_pem(c.server_key_pem); !key)
            return error("PLUGIN_SERVER_KEY", key.error().message);
        if (auto pair = wire::check_key_pair(c.server_cert_pem, c.server_key_pem); !pair)
            return error("PLUGIN_SERVER_KEY",
                         pair.error().message + " (the first one in PLUGIN_SERVER_CERT)");
    }
    return {};
}
} // namespace rpcplugin::plugin
