#include "rpcplugin/wire/reattach.hpp"

#include "rpcplugin/wire/json.hpp"
#include "wire/detail/json.hpp"

#include <charconv>
#include <cmath>
#include <optional>
#include <ostream>

namespace rpcplugin::wire
{
namespace
{
using google::protobuf::Struct;
using google::protobuf::Value;

error bad(const std::string& name, const std::string& what)
{
    return make_error(errc::bad_reattach_config,
                      "reattach config " + json_string(name) + ": " + what);
}

const Value* member(const Struct& s, const char* key)
{
    auto it = s.fields().find(key);
    return it == s.fields().end() ? nullptr : &it->second;
}

// A JSON number that is a non-negative integer below 2^53 (exact in a double).
std::optional<long> non_negative_integer(const Value& v)
{
    if (!v.has_number_value())
        return std::nullopt;
    double d = v.number_value();
    if (!std::isfinite(d) || d < 0 || d != std::floor(d) || d > 9007199254740992.0)
        return std::nullopt;
    return static_cast<long>(d);
}

std::optional<std::string> tcp_problem(const std::string& addr)
{
    auto colon = addr.rfind(':');
    if (colon == std::string::npos || colon == 0)
        return "want host:port";
    std::string_view port(addr.data() + colon + 1, addr.size() - colon - 1);
    unsigned v = 0;
    auto [p, ec] = std::from_chars(port.data(), port.data() + port.size(), v);
    if (port.empty() || ec != std::errc{} || p != port.data() + port.size() || v > 65535)
        return "port " + json_string(port) + " is not a number from 0 to 65535";
    return std::nullopt;
}

boost::system::result<reattach_config, error> parse_entry(const std::string& name, const Value& v)
{
    if (!v.has_struct_value())
        return bad(name, "want an object, got " + std::string(detail::json_type(v)));
    const Struct& s = v.struct_value();
    reattach_config c;
    if (const Value* p = member(s, "Protocol"))
    {
        if (!p->has_string_value())
            return bad(name, "Protocol must be a string");
        if (!p->string_value().empty())
            c.protocol = p->string_value();
    }
    if (c.protocol != "grpc")
        return bad(name, "unsupported plugin protocol " + json_string(c.protocol) +
                             ". Supported: [grpc]");
    if (const Value* p = member(s, "ProtocolVersion"))
    {
        auto n = non_negative_integer(*p);
        if (!n || *n > 2147483647)
            return bad(name, "ProtocolVersion must be a non-negative integer");
        c.protocol_version = static_cast<int>(*n);
    }
    if (const Value* p = member(s, "Pid"))
    {
        auto n = non_negative_integer(*p);
        if (!n || *n > 2147483647)
            return bad(name, "Pid must be a non-negative integer");
        c.pid = *n;
    }
    if (const Value* p = member(s, "Test"))
    {
        if (!p->has_bool_value())
            return bad(name, "Test must be true or false");
        c.test = p->bool_value();
    }
    const Value* addr = member(s, "Addr");
    if (!addr || !addr->has_struct_value())
        return bad(name, "Addr must be an object with Network and String");
    const Value* net = member(addr->struct_value(), "Network");
    const Value* str = member(addr->struct_value(), "String");
    if (!net || !net->has_string_value())
        return bad(name, "Addr.Network must be a string");
    if (!str || !str->has_string_value())
        return bad(name, "Addr.String must be a string");
    c.network = net->string_value();
    c.address = str->string_value();
    if (c.network != "unix" && c.network != "tcp")
        return bad(name, "unknown address type " + json_string(c.network) + " (want unix or tcp)");
    if (c.address.empty())
        return bad(name, "Addr.String is empty");
    if (c.network == "tcp")
        if (auto problem = tcp_problem(c.address))
            return bad(name, "Addr.String " + json_string(c.address) + ": " + *problem);
    return c;
}
} // namespace

std::string format_reattach_json(std::string_view name, const reattach_config& config)
{
    std::string out = "{";
    append_json_string(out, name);
    out += ":{\"Protocol\":";
    append_json_string(out, config.protocol);
    out += ",\"ProtocolVersion\":" + std::to_string(config.protocol_version);
    out += ",\"Pid\":" + std::to_string(config.pid);
    out += config.test ? ",\"Test\":true" : ",\"Test\":false";
    out += ",\"Addr\":{\"Network\":";
    append_json_string(out, config.network);
    out += ",\"String\":";
    append_json_string(out, config.address);
    out += "}}}";
    return out;
}

std::ostream& operator<<(std::ostream& os, const reattach_config& c)
{
    return os << "{protocol " << c.protocol << ", version " << c.protocol_version << ", pid "
              << c.pid << ", test " << (c.test ? "true" : "false") << ", " << c.network << " "
              << c.address << "}";
}

boost::system::result<std::map<std::string, reattach_config>, error>
parse_reattach_json(std::string_view json)
{
    auto obj = detail::parse_json_object(json);
    if (!obj)
        return make_error(errc::bad_reattach_config,
                          "reattach config is not a JSON object: " + obj.error());
    if (obj->fields().empty())
        return make_error(errc::bad_reattach_config, "reattach config names no plugin");
    // Protobuf's map is unordered: check entries by name, so the first error is stable.
    std::map<std::string, const Value*> entries;
    for (const auto& [name, value] : obj->fields())
        entries.emplace(name, &value);
    std::map<std::string, reattach_config> out;
    for (const auto& [name, value] : entries)
    {
        auto c = parse_entry(name, *value);
        if (!c)
            return c.error();
        out.emplace(name, std::move(*c));
    }
    return out;
}
} // namespace rpcplugin::wire
