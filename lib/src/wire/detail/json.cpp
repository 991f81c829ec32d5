#include "wire/detail/json.hpp"

#include "rpcplugin/wire/json.hpp"

// The one translation unit that compiles Boost.JSON into the library (header-only use);
// instrumented with the rest, so sanitizers see all of it.
#include <boost/json/src.hpp>

#include <charconv>
#include <cmath>

namespace rpcplugin::wire::detail
{
namespace
{
void append_number(std::string& out, double d)
{
    if (!std::isfinite(d))
    {
        out += std::isnan(d) ? "NaN" : (d > 0 ? "+Inf" : "-Inf");
        return;
    }
    char buf[400];
    auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
    if (ec != std::errc{})
        out += std::to_string(d);
    else
        out.append(buf, end);
}

void append_compact(std::string& out, const boost::json::value& v)
{
    switch (v.kind())
    {
    case boost::json::kind::null: out += "null"; return;
    case boost::json::kind::bool_: out += v.get_bool() ? "true" : "false"; return;
    case boost::json::kind::int64: out += std::to_string(v.get_int64()); return;
    case boost::json::kind::uint64: out += std::to_string(v.get_uint64()); return;
    case boost::json::kind::double_:
    {
        char buf[64];
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v.get_double());
        out.append(buf, ec == std::errc{} ? end : buf);
        return;
    }
    case boost::json::kind::string:
        append_json_string(out, std::string_view(v.get_string()));
        return;
    case boost::json::kind::array:
    {
        out += '[';
        bool first = true;
        for (const auto& e : v.get_array())
        {
            if (!first)
                out += ',';
            first = false;
            append_compact(out, e);
        }
        out += ']';
        return;
    }
    case boost::json::kind::object:
    {
        out += '{';
        bool first = true;
        for (const auto& [key, e] : v.get_object())
        {
            if (!first)
                out += ',';
            first = false;
            append_json_string(out, std::string_view(key));
            out += ':';
            append_compact(out, e);
        }
        out += '}';
        return;
    }
    }
}
} // namespace

boost::system::result<boost::json::object, std::string> parse_json_object(std::string_view text)
{
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(text, ec);
    if (ec)
        return boost::system::result<boost::json::object, std::string>(
            boost::system::in_place_error, ec.message());
    if (!v.is_object())
        return boost::system::result<boost::json::object, std::string>(
            boost::system::in_place_error, "expected an object, got " + std::string(json_type(v)));
    return std::move(v.get_object());
}

const boost::json::value* member(const boost::json::object& object, std::string_view key) noexcept
{
    return object.if_contains(key);
}

std::string value_text(const boost::json::value& v)
{
    std::string out;
    switch (v.kind())
    {
    case boost::json::kind::string: return std::string(v.get_string());
    case boost::json::kind::double_: append_number(out, v.get_double()); return out;
    default: append_compact(out, v); return out;
    }
}

std::optional<long long> non_negative_integer(const boost::json::value& v, long long max) noexcept
{
    if (v.is_int64())
        return v.get_int64() >= 0 && v.get_int64() <= max ? std::optional<long long>(v.get_int64())
                                                          : std::nullopt;
    if (v.is_uint64())
        return v.get_uint64() <= static_cast<unsigned long long>(max)
                   ? std::optional<long long>(static_cast<long long>(v.get_uint64()))
                   : std::nullopt;
    if (!v.is_double())
        return std::nullopt;
    const double d = v.get_double();
    if (!std::isfinite(d) || d < 0 || d != std::floor(d) || d > static_cast<double>(max))
        return std::nullopt;
    return static_cast<long long>(d);
}

std::string_view json_type(const boost::json::value& v) noexcept
{
    switch (v.kind())
    {
    case boost::json::kind::string: return "string";
    case boost::json::kind::bool_: return "boolean";
    case boost::json::kind::null: return "null";
    case boost::json::kind::int64:
    case boost::json::kind::uint64:
    case boost::json::kind::double_: return "number";
    case boost::json::kind::object: return "object";
    case boost::json::kind::array: return "array";
    }
    return "nothing";
}
} // namespace rpcplugin::wire::detail
