#include "report.hpp"

#include <rpcplugin/wire/json.hpp>

#include <cstdio>
#include <sstream>

namespace rpcplugin_host
{
using rpcplugin::wire::json_string;
using clock = std::chrono::steady_clock;

namespace
{
double ms(std::chrono::nanoseconds d)
{
    return static_cast<double>(d.count()) / 1e6;
}

std::string ms_text(std::chrono::nanoseconds d)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f ms", ms(d));
    return buf;
}

std::string number(double v)
{
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", v);
    return buf;
}

bool is_set(clock::time_point t)
{
    return t != clock::time_point{};
}

std::string join(const std::vector<std::string>& v, std::string_view sep)
{
    std::string out;
    for (const auto& s : v)
    {
        if (!out.empty())
            out += sep;
        out += s;
    }
    return out;
}

std::string status_text(const rpcplugin::grpc::status& s)
{
    std::string out(rpcplugin::grpc::to_string(s.code()));
    if (!s.message().empty())
        out += ": " + s.message();
    return out;
}

// The handshake line with a long certificate field shortened.
std::string short_line(const std::string& line)
{
    auto bar = line.rfind('|');
    std::size_t fields = 0;
    for (char c : line)
        fields += c == '|';
    if (fields >= 5 && bar != std::string::npos && line.size() - bar - 1 > 40)
    {
        const std::size_t cert = line.size() - bar - 1;
        return line.substr(0, bar + 1 + 12) + "...(" + std::to_string(cert) + " chars)";
    }
    return line;
}

std::string cert_text(const rpcplugin::wire::certificate_info& c)
{
    std::string out =
        c.subject + "; SAN DNS " + (c.dns_names.empty() ? "-" : join(c.dns_names, " "));
    if (!c.ip_addresses.empty())
        out += ", IP " + join(c.ip_addresses, " ");
    out += "; " + c.key_type + ", " + c.signature_algorithm;
    return out;
}

std::string versions_text(const std::set<int>& vs)
{
    std::string out;
    for (int v : vs)
        out += (out.empty() ? "" : ",") + std::to_string(v);
    return out;
}

class text_out
{
public:
    void line(std::string_view label, const std::string& text)
    {
        std::string l(label);
        if (l.size() < 12)
            l.resize(12, ' ');
        else
            l += ' ';
        // Continuation lines of a multi-line text are indented under the first.
        std::string body;
        for (char c : text)
        {
            body += c;
            if (c == '\n')
                body += std::string(12, ' ');
        }
        out_ << l << body << '\n';
    }
    std::string str() const { return out_.str(); }

private:
    std::ostringstream out_;
};
} // namespace

std::string render_text(const report& r)
{
    text_out t;
    std::string who = r.plugin;
    for (const auto& a : r.args)
        who += " " + a;
    if (r.reattached)
        t.line("plugin",
               "reattached to " + r.handshake.network + " " + r.handshake.address +
                   (r.pid ? " (pid " + std::to_string(r.pid) + ", not owned)" : " (not owned)"));
    else
        t.line("plugin", who + (r.pid ? " (pid " + std::to_string(r.pid) + ")" : "") +
                             ", AutoMTLS " + (r.mtls ? "on" : "off") + ", versions offered " +
                             versions_text(r.versions));
    if (!r.handshake_line.empty())
    {
        std::string when;
        if (is_set(r.timings.handshake))
            when = "  (" + ms_text(r.timings.handshake - r.timings.started) + " after exec)";
        t.line("handshake", short_line(r.handshake_line) + when);
    }
    if (r.connected || (r.error && !r.handshake.network.empty()))
        t.line(r.handshake_line.empty() ? "address" : "",
               "core " + std::to_string(r.handshake.core_version) + ", app " +
                   std::to_string(r.handshake.app_version) + ", " + r.handshake.network + " " +
                   r.handshake.address + ", " + r.handshake.protocol);
    if (r.error)
    {
        t.line("error",
               std::string(r.error->code.category() == rpcplugin::wire::wire_category()
                               ? rpcplugin::host::to_string(
                                     static_cast<rpcplugin::host::errc>(r.error->code.value()))
                               : std::string_view(r.error->code.message())) +
                   ": " + r.error->message);
    }
    if (r.connected)
    {
        if (r.tls.version.empty())
            t.line("tls", "none (plaintext h2c)");
        else
        {
            t.line("tls", r.tls.version + ", " + r.tls.cipher + ", ALPN " + r.tls.alpn +
                              (r.host_cert ? ", mutual: host cert " + r.host_cert->key_type + " " +
                                                 r.host_cert->subject
                                           : ", no client certificate"));
            if (r.peer_cert)
                t.line("peer cert", cert_text(*r.peer_cert));
        }
        if (r.health_error)
            t.line("health", "Check(\"plugin\") failed: " + status_text(*r.health_error));
        else if (!r.health_status.empty())
            t.line("health", r.health_status + " (grpc.health.v1 Check \"plugin\", " +
                                 ms_text(r.health_elapsed) + ")");
        if (r.reflection)
        {
            if (!r.reflection->served())
                t.line("reflection", "not served (" + status_text(r.reflection->status) + ")");
            else if (!r.reflection->status.ok())
                t.line("reflection", "failed: " + status_text(r.reflection->status));
            else
                t.line("services", join(r.reflection->services, ", "));
        }
    }
    for (const auto& c : r.calls)
    {
        t.line("call", c.method + " " + c.request);
        t.line("", "-> " + (c.status.ok() ? "OK " + c.response : status_text(c.status)) + "  (" +
                       ms_text(c.elapsed) + ")");
    }
    for (const auto& d : r.demo)
        t.line("broker", std::string(d.ok ? "ok: " : "FAILED: ") + d.detail +
                             (d.elapsed.count() ? "  (" + ms_text(d.elapsed) + ")" : ""));
    if (r.connected)
    {
        std::string stdio = !r.stdio ? "stream open"
                            : r.stdio->code() == rpcplugin::grpc::status_code::unimplemented
                                ? "not served"
                                : "ended: " + status_text(*r.stdio);
        std::size_t pipe = 0, grpc_out = 0;
        for (const auto& o : r.output)
            (o.source == rpcplugin::host::output_source::stdout_pipe ? pipe : grpc_out) += 1;
        std::string text = "GRPCStdio " + stdio;
        if (grpc_out > 0 || !r.stdio)
            text += ": " + std::to_string(grpc_out) + " chunk(s)";
        if (!r.reattached)
            text += "; stdout after the handshake line: " + std::to_string(pipe) + " line(s)";
        t.line("output", text);
    }
    for (const auto& o : r.output)
    {
        std::string data = o.data;
        while (!data.empty() && data.back() == '\n')
            data.pop_back();
        t.line(rpcplugin::host::to_string(o.source), data);
    }
    // After a failed start, the stderr tail is part of the error already.
    for (const auto& rec :
         r.error ? std::vector<rpcplugin::host::plugin_log_record>{} : r.stderr_records)
    {
        std::string mod = rec.module.empty() ? "" : rec.module + ": ";
        t.line("stderr", std::string(rpcplugin::to_string(rec.level)) + " " + mod + rec.text());
    }
    if (r.shutdown)
    {
        const auto& s = *r.shutdown;
        if (!s.owned)
            t.line("shutdown", "disconnected (the plugin is not ours to stop)");
        else
        {
            std::string text = "Controller.Shutdown " + status_text(s.controller) +
                               (s.controller.ok() ? "; " : " (ignored, as go-plugin does); ");
            if (s.killed)
                text += "still running after the grace period: killed (SIGKILL); ";
            text += (s.exit ? s.exit->to_string() : std::string("exit unknown")) + " after " +
                    ms_text(s.duration);
            if (!s.removed_sockets.empty())
                text += "; removed left-over socket(s) " + join(s.removed_sockets, " ");
            t.line("shutdown", text);
        }
    }
    if (is_set(r.timings.started))
    {
        std::vector<std::string> parts;
        const char* from = r.reattached ? "start" : "exec";
        if (is_set(r.timings.handshake) && !r.reattached)
            parts.push_back(std::string(from) + "->handshake " +
                            ms_text(r.timings.handshake - r.timings.started));
        if (is_set(r.timings.connected))
            parts.push_back("->connected " + ms_text(r.timings.connected - r.timings.started));
        if (is_set(r.first_rpc))
            parts.push_back("->first RPC " + ms_text(r.first_rpc - r.timings.started));
        if (r.shutdown)
            parts.push_back("shutdown " + ms_text(r.shutdown->duration));
        if (!parts.empty())
            t.line("timings", join(parts, ", "));
    }
    return t.str();
}

namespace
{
std::string json_strings(const std::vector<std::string>& v)
{
    std::string out = "[";
    for (std::size_t i = 0; i < v.size(); ++i)
        out += (i ? "," : "") + json_string(v[i]);
    return out + "]";
}

std::string json_status(const rpcplugin::grpc::status& s)
{
    return "{\"code\":" + json_string(rpcplugin::grpc::to_string(s.code())) +
           ",\"message\":" + json_string(s.message()) + "}";
}

std::string json_cert(const rpcplugin::wire::certificate_info& c)
{
    return "{\"subject\":" + json_string(c.subject) +
           ",\"dns_names\":" + json_strings(c.dns_names) +
           ",\"ip_addresses\":" + json_strings(c.ip_addresses) +
           ",\"key_type\":" + json_string(c.key_type) +
           ",\"signature_algorithm\":" + json_string(c.signature_algorithm) + "}";
}

std::string json_ms(clock::time_point from, clock::time_point to)
{
    return is_set(from) && is_set(to) ? number(ms(to - from)) : "null";
}
} // namespace

std::string render_json(const report& r)
{
    std::string j = "{";
    j += "\"plugin\":" + json_string(r.plugin);
    j += ",\"args\":" + json_strings(r.args);
    j += ",\"reattached\":" + std::string(r.reattached ? "true" : "false");
    j += ",\"auto_mtls\":" + std::string(r.mtls ? "true" : "false");
    j += ",\"pid\":" + std::to_string(r.pid);
    j += ",\"exit_code\":" + std::to_string(r.exit_status);
    if (r.error)
    {
        std::string name = r.error->code.category() == rpcplugin::wire::wire_category()
                               ? std::string(rpcplugin::host::to_string(
                                     static_cast<rpcplugin::host::errc>(r.error->code.value())))
                               : r.error->code.message();
        j += ",\"error\":{\"code\":" + json_string(name) +
             ",\"message\":" + json_string(r.error->message) + "}";
    }
    else
        j += ",\"error\":null";
    if (!r.handshake.network.empty())
    {
        j += ",\"handshake\":{\"line\":" + json_string(r.handshake_line) +
             ",\"core_version\":" + std::to_string(r.handshake.core_version) +
             ",\"app_version\":" + std::to_string(r.handshake.app_version) +
             ",\"network\":" + json_string(r.handshake.network) +
             ",\"address\":" + json_string(r.handshake.address) +
             ",\"protocol\":" + json_string(r.handshake.protocol) +
             ",\"server_certificate\":" + (r.handshake.server_cert_der.empty() ? "false" : "true") +
             "}";
    }
    else
        j += ",\"handshake\":" + (r.handshake_line.empty()
                                      ? std::string("null")
                                      : "{\"line\":" + json_string(r.handshake_line) + "}");
    if (r.connected)
    {
        j += ",\"tls\":";
        if (r.tls.version.empty())
            j += "null";
        else
            j += "{\"version\":" + json_string(r.tls.version) +
                 ",\"cipher\":" + json_string(r.tls.cipher) +
                 ",\"alpn\":" + json_string(r.tls.alpn) +
                 ",\"peer_certificate\":" + (r.peer_cert ? json_cert(*r.peer_cert) : "null") +
                 ",\"host_certificate\":" + (r.host_cert ? json_cert(*r.host_cert) : "null") + "}";
        j += ",\"health\":";
        if (r.health_error)
            j += "{\"status\":null,\"error\":" + json_status(*r.health_error) + "}";
        else
            j += "{\"status\":" + json_string(r.health_status) +
                 ",\"ms\":" + number(ms(r.health_elapsed)) + "}";
        j += ",\"reflection\":";
        if (!r.reflection)
            j += "null";
        else
            j += "{\"served\":" + std::string(r.reflection->served() ? "true" : "false") +
                 ",\"status\":" + json_status(r.reflection->status) +
                 ",\"services\":" + json_strings(r.reflection->services) + "}";
        j += ",\"stdio\":" + (r.stdio ? json_status(*r.stdio) : std::string("null"));
    }
    j += ",\"calls\":[";
    for (std::size_t i = 0; i < r.calls.size(); ++i)
    {
        const auto& c = r.calls[i];
        j += (i ? "," : "") + std::string("{\"method\":") + json_string(c.method) +
             ",\"request\":" + c.request + ",\"status\":" + json_status(c.status) +
             ",\"response\":" + (c.status.ok() ? c.response : "null") +
             ",\"ms\":" + number(ms(c.elapsed)) + "}";
    }
    j += "],\"demo\":[";
    for (std::size_t i = 0; i < r.demo.size(); ++i)
    {
        const auto& d = r.demo[i];
        j += (i ? "," : "") + std::string("{\"step\":") + json_string(d.name) +
             ",\"ok\":" + (d.ok ? "true" : "false") + ",\"detail\":" + json_string(d.detail) +
             ",\"ms\":" + number(ms(d.elapsed)) + "}";
    }
    j += "],\"output\":[";
    for (std::size_t i = 0; i < r.output.size(); ++i)
        j += (i ? "," : "") + std::string("{\"source\":") +
             json_string(rpcplugin::host::to_string(r.output[i].source)) +
             ",\"data\":" + json_string(r.output[i].data) + "}";
    j += "],\"stderr\":[";
    for (std::size_t i = 0; i < r.stderr_records.size(); ++i)
    {
        const auto& rec = r.stderr_records[i];
        j += (i ? "," : "") + std::string("{\"level\":") +
             json_string(rpcplugin::to_string(rec.level)) +
             ",\"module\":" + json_string(rec.module) + ",\"message\":" + json_string(rec.message) +
             ",\"fields\":{";
        for (std::size_t k = 0; k < rec.fields.size(); ++k)
            j += (k ? "," : "") + json_string(rec.fields[k].first) + ":" +
                 json_string(rec.fields[k].second);
        j += "},\"structured\":" + std::string(rec.structured ? "true" : "false") +
             ",\"raw\":" + json_string(rec.raw) + "}";
    }
    j += "]";
    if (r.shutdown)
    {
        const auto& s = *r.shutdown;
        j += ",\"shutdown\":{\"owned\":" + std::string(s.owned ? "true" : "false") +
             ",\"controller\":" + (s.owned ? json_status(s.controller) : "null") +
             ",\"graceful\":" + (s.graceful ? "true" : "false") +
             ",\"killed\":" + (s.killed ? "true" : "false") +
             ",\"exit\":" + (s.exit ? json_string(s.exit->to_string()) : "null") +
             ",\"ms\":" + number(ms(s.duration)) +
             ",\"removed_sockets\":" + json_strings(s.removed_sockets) + "}";
    }
    else
        j += ",\"shutdown\":null";
    j += ",\"timings_ms\":{\"handshake\":" + json_ms(r.timings.started, r.timings.handshake) +
         ",\"connected\":" + json_ms(r.timings.started, r.timings.connected) +
         ",\"first_rpc\":" + json_ms(r.timings.started, r.first_rpc) +
         ",\"shutdown\":" + (r.shutdown ? number(ms(r.shutdown->duration)) : std::string("null")) +
         "}";
    j += "}\n";
    return j;
}
} // namespace rpcplugin_host
