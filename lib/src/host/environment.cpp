#include "rpcplugin/host/environment.hpp"

#include <algorithm>
#include <array>

extern char** environ; // NOLINT: POSIX

namespace rpcplugin::host
{
namespace
{
std::string_view key_of(std::string_view entry)
{
    return entry.substr(0, entry.find('='));
}

// Appends `entry`, replacing an earlier entry with the same key in place.
void put(std::vector<std::string>& env, std::string entry)
{
    auto key = key_of(entry);
    auto it = std::find_if(env.begin(), env.end(),
                           [&](const std::string& e) { return key_of(e) == key; });
    if (it != env.end())
        env.erase(it);
    env.push_back(std::move(entry));
}

std::string join_versions(const std::set<int>& versions)
{
    std::string out;
    for (int v : versions)
    {
        if (!out.empty())
            out += ',';
        out += std::to_string(v);
    }
    return out;
}
} // namespace

std::vector<std::string> make_plugin_environment(const std::vector<std::string>& host_env,
                                                 const environment_options& opts)
{
    static constexpr std::array<std::string_view, 6> managed{
        "PLUGIN_MIN_PORT",    "PLUGIN_MAX_PORT",        "PLUGIN_PROTOCOL_VERSIONS",
        "PLUGIN_CLIENT_CERT", "PLUGIN_UNIX_SOCKET_DIR", "PLUGIN_MULTIPLEX_GRPC",
    };
    std::vector<std::string> env;
    if (!opts.skip_host_env)
    {
        for (const auto& e : host_env)
        {
            if (e.find('=') == std::string::npos)
                continue;
            auto key = key_of(e);
            if (std::find(managed.begin(), managed.end(), key) != managed.end())
                continue;
            if (!opts.cookie_key.empty() && key == opts.cookie_key)
                continue;
            put(env, e);
        }
    }
    for (const auto& e : opts.extra)
        if (e.find('=') != std::string::npos)
            put(env, e);
    if (!opts.cookie_key.empty())
        put(env, opts.cookie_key + "=" + opts.cookie_value);
    put(env, "PLUGIN_MIN_PORT=" + std::to_string(opts.min_port));
    put(env, "PLUGIN_MAX_PORT=" + std::to_string(opts.max_port));
    put(env, "PLUGIN_PROTOCOL_VERSIONS=" + join_versions(opts.protocol_versions));
    if (!opts.client_cert_pem.empty())
        put(env, "PLUGIN_CLIENT_CERT=" + opts.client_cert_pem);
    if (!opts.unix_socket_dir.empty())
        put(env, "PLUGIN_UNIX_SOCKET_DIR=" + opts.unix_socket_dir);
    return env;
}

std::vector<std::string> current_environment()
{
    std::vector<std::string> out;
    for (char** e = environ; e && *e; ++e)
        out.emplace_back(*e);
    return out;
}
} // namespace rpcplugin::host
