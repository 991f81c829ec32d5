#include "rpcplugin/plugin/reattach.hpp"

#include "rpcplugin/plugin/config.hpp"

namespace rpcplugin::plugin
{
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

std::string format_reattach_instructions(std::string_view name, const wire::reattach_config& config,
                                         std::string_view variable)
{
    std::string out = "Plugin started in debug mode. To attach a host, set the ";
    out += variable;
    out += " environment variable with the following:\n\n\t";
    out += variable;
    out += '=';
    out += shell_single_quote(wire::format_reattach_json(name, config));
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
