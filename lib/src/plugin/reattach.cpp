#include "rpcplugin/plugin/reattach.hpp"

#include "rpcplugin/plugin/config.hpp"
#include "rpcplugin/plugin/json.hpp"

namespace rpcplugin::plugin
{
std::string format_reattach_json(const reattach_info& info)
{
    std::string out = "{";
    append_json_string(out, info.name);
    out += ":{\"Protocol\":";
    append_json_string(out, info.protocol);
    out += ",\"ProtocolVersion\":" + std::to_string(info.protocol_version);
    out += ",\"Pid\":" + std::to_string(info.pid);
    out += info.test ? ",\"Test\":true" : ",\"Test\":false";
    out += ",\"Addr\":{\"Network\":";
    append_json_string(out, info.network);
    out += ",\"String\":";
    append_json_string(out, info.address);
    out += "}}}";
    return out;
}

std::string shell_single_quote(std::string_view text)
{
    std::string out = "'";
    for (char c : text)
    {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    out += '\'';
    return out;
}

std::string format_reattach_instructions(const reattach_info& info, std::string_view variable)
{
    std::string out = "Plugin started in debug mode. To attach a host, set the ";
    out += variable;
    out += " environment variable with the following:\n\n\t";
    out += variable;
    out += '=';
    out += shell_single_quote(format_reattach_json(info));
    out += "\n\n";
    return out;
}

bool has_debug_flag(int argc, const char* const* argv)
{
    bool debug = false;
    for (int i = 1; i < argc && argv[i]; ++i)
    {
        std::string_view arg = argv[i];
        if (arg == "--")
            break;
        if (arg.starts_with("--"))
            arg.remove_prefix(2);
        else if (arg.starts_with("-"))
            arg.remove_prefix(1);
        else
            continue;
        if (arg == "debug")
            debug = true;
        else if (arg.starts_with("debug="))
            debug = parse_bool(arg.substr(6)).value_or(false);
    }
    return debug;
}
} // namespace rpcplugin::plugin
