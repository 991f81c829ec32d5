#include "rpcplugin/host/log_line.hpp"

#include "wire/detail/json.hpp"
#include "rpcplugin/wire/json.hpp"
#include "rpcplugin/detail/text.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <optional>
#include <ostream>

namespace rpcplugin::host
{
namespace
{
bool digits(std::string_view s, std::size_t pos, std::size_t n, int lo, int hi)
{
    if (pos + n > s.size())
        return false;
    int v = 0;
    for (std::size_t i = pos; i < pos + n; ++i)
    {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    return v >= lo && v <= hi;
}

std::optional<log_level> level_from_string(std::string_view s)
{
    // hclog.LevelFromString: trimmed, case-insensitive.
    std::string lower(rpcplugin::detail::trim(s));
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    static constexpr std::array<std::pair<std::string_view, log_level>, 5> names{{
        {"trace", log_level::trace},
        {"debug", log_level::debug},
        {"info", log_level::info},
        {"warn", log_level::warn},
        {"error", log_level::error},
    }};
    for (const auto& [name, level] : names)
        if (lower == name)
            return level;
    return std::nullopt;
}

bool needs_quotes(std::string_view v)
{
    if (v.empty())
        return true;
    return std::any_of(v.begin(), v.end(),
                       [](unsigned char c)
                       { return c <= ' ' || c == '"' || c == '=' || c == 0x7f; });
}

// A structured record, or nothing when the line is not one hclog would have written.
std::optional<plugin_log_record> parse_structured(std::string_view line)
{
    auto first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] != '{')
        return std::nullopt;
    auto obj = wire::detail::parse_json_object(line);
    if (!obj)
        return std::nullopt;
    const boost::json::value* level_v = wire::detail::member(*obj, "@level");
    const boost::json::value* message_v = wire::detail::member(*obj, "@message");
    if (!level_v || !level_v->is_string())
        return std::nullopt;
    if (message_v && !message_v->is_string())
        return std::nullopt;
    auto level = level_from_string(level_v->get_string());
    if (!level)
        return std::nullopt;
    plugin_log_record r;
    r.structured = true;
    r.level = *level;
    if (message_v)
        r.message = std::string(message_v->get_string());
    if (const boost::json::value* ts = wire::detail::member(*obj, "@timestamp"))
    {
        if (!ts->is_string() || !is_hclog_timestamp(ts->get_string()))
            return std::nullopt;
        r.timestamp = std::string(ts->get_string());
    }
    for (const auto& [key, value] : *obj)
    {
        if (key == "@level" || key == "@message" || key == "@timestamp")
            continue;
        if (key == "@module" && value.is_string())
        {
            r.module = std::string(value.get_string());
            continue;
        }
        r.fields.emplace_back(std::string(key), wire::detail::value_text(value));
    }
    std::sort(r.fields.begin(), r.fields.end());
    return r;
}
} // namespace

bool is_hclog_timestamp(std::string_view ts) noexcept
{
    // 2006-01-02T15:04:05.000000Z07:00
    if (ts.size() < 27)
        return false;
    if (!digits(ts, 0, 4, 0, 9999) || ts[4] != '-' || !digits(ts, 5, 2, 1, 12) || ts[7] != '-' ||
        !digits(ts, 8, 2, 1, 31) || ts[10] != 'T' || !digits(ts, 11, 2, 0, 23) || ts[13] != ':' ||
        !digits(ts, 14, 2, 0, 59) || ts[16] != ':' || !digits(ts, 17, 2, 0, 59) || ts[19] != '.' ||
        !digits(ts, 20, 6, 0, 999999))
        return false;
    std::string_view zone = ts.substr(26);
    if (zone == "Z")
        return true;
    return zone.size() == 6 && (zone[0] == '+' || zone[0] == '-') && digits(zone, 1, 2, 0, 23) &&
           zone[3] == ':' && digits(zone, 4, 2, 0, 59);
}

std::string plugin_log_record::text() const
{
    std::string out = message;
    for (const auto& [k, v] : fields)
    {
        if (!out.empty())
            out += ' ';
        out += k;
        out += '=';
        if (needs_quotes(v))
            wire::append_json_string(out, v);
        else
            out += v;
    }
    return out;
}

std::ostream& operator<<(std::ostream& os, const plugin_log_record& r)
{
    os << to_string(r.level);
    if (!r.module.empty())
        os << ' ' << r.module;
    return os << ": " << r.text();
}

plugin_log_record log_line_parser::parse(std::string_view line)
{
    if (auto r = parse_structured(line))
    {
        r->raw = std::string(line);
        return std::move(*r);
    }
    plugin_log_record r;
    r.raw = std::string(line);
    static constexpr std::array<std::pair<std::string_view, log_level>, 5> tags{{
        {"[TRACE]", log_level::trace},
        {"[DEBUG]", log_level::debug},
        {"[INFO]", log_level::info},
        {"[WARN]", log_level::warn},
        {"[ERROR]", log_level::error},
    }};
    for (const auto& [tag, level] : tags)
    {
        if (line.starts_with(tag))
        {
            std::string_view rest = line.substr(tag.size());
            while (!rest.empty() && (rest.front() == ' ' || rest.front() == '\t'))
                rest.remove_prefix(1);
            r.level = level;
            r.message = std::string(rest);
            return r;
        }
    }
    if (line.starts_with("panic: ") || line.starts_with("fatal error: "))
        panicked_ = true;
    r.level = panicked_ ? log_level::error : log_level::debug;
    r.message = std::string(line);
    return r;
}
} // namespace rpcplugin::host
