#include "rpcplugin/wire/reattach.hpp"

#include "rpcplugin/wire/json.hpp"
#include "wire/detail/json.hpp"

#include <charconv>
#include <optional>
#include <ostream>

namespace rpcplugin::wire
{
namespace
{
using boost::json::object;
using boost::json::value;
using detail::member;

error bad(const std::string& name, const std::string& what)
{
    return make_error(errc::bad_reattach_config,
                      "reattach config " + json_string(name) + ": " + what);
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

boost::system::result<reattach_config, error> parse_entry(const std::string& name, const value& v)
{
    if (!v.is_object())
        return bad(name, "want an object, got " + std::string(detail::json_type(v)));
    const object& s = v.get_object();
    reattach_config c;
    if (const value* p = member(s, "Protocol"))
    {
        if (!p->is_string())
            return bad(name, "Protocol must be a string");
        if (!p->get_string().empty())
            c.protocol = std::string(p->get_string());
    }
    if (c.protocol != "grpc")
        return bad(name, "unsupported plugin protocol " + json_string(c.protocol) +
                             ". Supported: [grpc]");
    if (const value* p = member(s, "ProtocolVersion"))
    {
        auto n = detail::non_negative_integer(*p, 2147483647);
        if (!n)
            return bad(name, "ProtocolVersion must be a non-negative integer");
        c.protocol_version = static_cast<int>(*n);
    }
    if (const value* p = member(s, "Pid"))
    {
        auto n = detail::non_negative_integer(*p, 2147483647);
        if (!n)
            return bad(name, "Pid must be a non-negative integer");
        c.pid = static_cast<long>(*n);
    }
    if (const value* p = member(s, "Test"))
    {
        if (!p->is_bool())
            return bad(name, "Test must be true or false");
        c.test = p->get_bool();
    }
    const value* addr = member(s, "Addr");
    if (!addr || !addr->is_object())
        return bad(name, "Addr must be an object with Network and String");
    const value* net = member(addr->get_object(), "Network");
    const value* str = member(addr->get_object(), "String");
    if (!net || !net->is_string())
        return bad(name, "Addr.Network must be a string");
    if (!str || !str->is_string())
        return bad(name, "Addr.String must be a string");
    c.network = std::string(net->get_string());
    c.address = std::string(str->get_string());
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
    if (obj->empty())
        return make_error(errc::bad_reattach_config, "reattach config names no plugin");
    // Check entries by name, so the first error does not depend on the text's order.
    std::map<std::string, const value*> entries;
    for (const auto& [name, v] : *obj)
        entries.emplace(std::string(name), &v);
    std::map<std::string, reattach_config> out;
    for (const auto& [name, v] : entries)
    {
        auto c = parse_entry(name, *v);
        if (!c)
            return c.error();
        out.emplace(name, std::move(*c));
    }
    return out;
}
} // namespace rpcplugin::wire
