#include "options.hpp"

#include <charconv>

namespace rpcplugin_host
{
namespace
{
using parse_result = boost::system::result<options, std::string>;

parse_result error(std::string message)
{
    return parse_result(boost::system::in_place_error, std::move(message));
}

std::optional<long> parse_number(const std::string& s, long lo, long hi)
{
    long v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || p != s.data() + s.size() || v < lo || v > hi)
        return std::nullopt;
    return v;
}

std::optional<std::set<int>> parse_versions(const std::string& s)
{
    std::set<int> out;
    std::size_t start = 0;
    while (start <= s.size())
    {
        std::size_t comma = s.find(',', start);
        std::string item =
            s.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        auto v = parse_number(item, 0, 2147483647);
        if (!v)
            return std::nullopt;
        out.insert(static_cast<int>(*v));
        if (comma == std::string::npos)
            break;
        start = comma + 1;
    }
    return out;
}

bool starts_object(const std::string& s)
{
    auto p = s.find_first_not_of(" \t\r\n");
    return p != std::string::npos && s[p] == '{';
}
} // namespace

std::string usage()
{
    return R"(usage: rpcplugin-host [OPTIONS] PLUGIN [ARGS...]
       rpcplugin-host [OPTIONS] --reattach JSON [NAME]

Launches a go-plugin plugin (gRPC protocol), shows the handshake, TLS, health, the
services it serves, makes the calls asked for, shows what the plugin printed, shuts it
down the go-plugin way (Controller.Shutdown, 2 s, SIGKILL) and prints the timings.

Options:
  --cookie KEY=VALUE      the magic cookie the plugin expects (go-plugin HandshakeConfig)
  --versions V[,V...]     app protocol versions offered (PLUGIN_PROTOCOL_VERSIONS); default 1
  --no-mtls               no AutoMTLS (by default the host sends a fresh P-521 certificate)
  --start-timeout MS      how long to wait for the handshake line; default 60000
  --env KEY=VALUE         an extra environment variable for the plugin (repeatable)
  --reattach JSON         connect to a running plugin (Terraform TF_REATTACH_PROVIDERS form)
                          instead of launching one; NAME picks the entry when there are several
  --call METHOD           call a unary method, package.Service/Method (repeatable, in order)
  --json '{...}'          right after --call: the request, protobuf JSON mapping (default {})
  --descriptor-set FILE   a FileDescriptorSet (protoc --descriptor_set_out --include_imports)
                          describing the called methods
  --call-timeout MS       deadline of each call; default 10000
  --demo-kv               the KV example's broker round trips (proto/kv/kv.proto): the plugin
                          calls back a kv.Helper served by the host, and the host calls a
                          kv.Counter served by the plugin
  --json                  print one JSON object instead of text
  -h, --help              this text

Exit status: 0 ok; 1 the plugin failed (start, handshake, connection, health); 2 usage
error (bad option, JSON input, descriptor set or method); 3 a call or demo step did not
return OK; 4 the plugin ignored Controller.Shutdown and was killed.
)";
}

boost::system::result<options, std::string> parse_args(const std::vector<std::string>& args)
{
    options o;
    bool call_pending = false; // a --call without its --json yet
    std::size_t i = 0;
    auto value = [&](const std::string&) -> std::optional<std::string>
    {
        if (i + 1 >= args.size())
            return std::nullopt;
        return args[++i];
    };
    for (; i < args.size(); ++i)
    {
        const std::string& a = args[i];
        if (a == "--")
        {
            ++i;
            break;
        }
        if (a.empty() || a[0] != '-' || a == "-")
            break;
        if (a == "-h" || a == "--help")
        {
            o.help = true;
            continue;
        }
        if (a == "--no-mtls")
        {
            o.mtls = false;
            continue;
        }
        if (a == "--demo-kv")
        {
            o.demo_kv = true;
            continue;
        }
        if (a == "--json")
        {
            if (call_pending && i + 1 < args.size() && starts_object(args[i + 1]))
            {
                o.calls.back().json = args[++i];
                call_pending = false;
            }
            else
                o.json_output = true;
            continue;
        }
        static const std::set<std::string> with_value{
            "--cookie", "--versions", "--start-timeout", "--call-timeout",
            "--env",    "--reattach", "--call",          "--descriptor-set"};
        if (!with_value.contains(a))
            return error("unknown option " + a);
        auto v = value(a);
        if (!v)
            return error("option " + a + " needs a value");
        call_pending = false;
        if (a == "--cookie")
        {
            auto eq = v->find('=');
            if (eq == std::string::npos || eq == 0)
                return error("--cookie wants KEY=VALUE, got \"" + *v + "\"");
            o.cookie_key = v->substr(0, eq);
            o.cookie_value = v->substr(eq + 1);
        }
        else if (a == "--versions")
        {
            auto vs = parse_versions(*v);
            if (!vs)
                return error("--versions wants comma-separated non-negative integers, got \"" + *v +
                             "\"");
            o.versions = *vs;
        }
        else if (a == "--start-timeout" || a == "--call-timeout")
        {
            auto n = parse_number(*v, 1, 24L * 3600 * 1000);
            if (!n)
                return error(a + " wants milliseconds (1 to 86400000), got \"" + *v + "\"");
            (a == "--start-timeout" ? o.start_timeout : o.call_timeout) =
                std::chrono::milliseconds(*n);
        }
        else if (a == "--env")
        {
            if (v->find('=') == std::string::npos || (*v)[0] == '=')
                return error("--env wants KEY=VALUE, got \"" + *v + "\"");
            o.env.push_back(*v);
        }
        else if (a == "--reattach")
            o.reattach_json = *v;
        else if (a == "--call")
        {
            if (v->empty())
                return error("--call wants a method name, package.Service/Method");
            o.calls.push_back({*v, "{}"});
            call_pending = true;
        }
        else if (a == "--descriptor-set")
            o.descriptor_set = *v;
        else
            return error("unknown option " + a);
    }
    if (o.help)
        return o;
    if (i < args.size())
    {
        o.plugin = args[i++];
        o.plugin_args.assign(args.begin() + static_cast<std::ptrdiff_t>(i), args.end());
    }
    if (o.plugin.empty() && !o.reattach_json)
        return error("no plugin given (PLUGIN or --reattach JSON)");
    if (o.reattach_json && !o.plugin_args.empty())
        return error("with --reattach, only an entry NAME may follow the options");
    if (!o.calls.empty() && o.descriptor_set.empty())
        return error("--call needs --descriptor-set FILE to know the request and response types");
    if (o.versions.empty())
        return error("--versions must name at least one version");
    return o;
}
} // namespace rpcplugin_host
