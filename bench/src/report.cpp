#include "report.hpp"

#include <algorithm>
#include <cstdio>
#include <sstream>

namespace bench
{
namespace
{
std::string json_string(const std::string& s)
{
    std::string out = "\"";
    for (unsigned char c : s)
    {
        if (c == '"' || c == '\\')
        {
            out += '\\';
            out += static_cast<char>(c);
        }
        else if (c < 0x20)
        {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", c);
            out += buf;
        }
        else
            out += static_cast<char>(c);
    }
    return out + "\"";
}

std::string num(double v)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

double us(std::uint64_t ns)
{
    return double(ns) / 1000.0;
}

double per_op_us(double cpu_s, std::uint64_t ops)
{
    return ops ? cpu_s * 1e6 / double(ops) : 0;
}

const char* coordinated_omission_note =
    "closed loop: each worker starts its next call when the last ends, so latencies do not "
    "include the queueing an open-loop (fixed-rate) client would see (coordinated omission)";
} // namespace

double median(std::vector<double> v)
{
    if (v.empty())
        return 0;
    std::sort(v.begin(), v.end());
    std::size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

summary summarize(const load_result& r)
{
    summary s;
    std::vector<double> ops, calls, mb, p50, p90, p99, p999, mx, ccpu, scpu;
    bool server_known = !r.reps.empty();
    for (const auto& rep : r.reps)
    {
        double sec = rep.seconds > 0 ? rep.seconds : 1;
        ops.push_back(double(rep.operations) / sec);
        calls.push_back(double(rep.calls) / sec);
        mb.push_back(double(rep.bytes) / 1e6 / sec);
        p50.push_back(us(rep.latency.percentile(50)));
        p90.push_back(us(rep.latency.percentile(90)));
        p99.push_back(us(rep.latency.percentile(99)));
        p999.push_back(us(rep.latency.percentile(99.9)));
        mx.push_back(us(rep.latency.max()));
        ccpu.push_back(per_op_us(rep.client_cpu, rep.operations));
        if (rep.server_cpu < 0)
            server_known = false;
        else
            scpu.push_back(per_op_us(rep.server_cpu, rep.operations));
    }
    s.ops_per_s = median(ops);
    s.calls_per_s = median(calls);
    s.mb_per_s = median(mb);
    s.p50_us = median(p50);
    s.p90_us = median(p90);
    s.p99_us = median(p99);
    s.p999_us = median(p999);
    s.max_us = median(mx);
    s.client_cpu_us_per_op = median(ccpu);
    s.server_cpu_us_per_op = server_known ? median(scpu) : -1;
    return s;
}

std::string to_text(const load_result& r)
{
    std::ostringstream o;
    const auto& c = r.config;
    o << to_string(c.load) << " " << c.size << " B, " << c.connections << "x" << c.streams
      << " (connections x streams), target " << c.target << (c.tls ? " (TLS)" : "") << "\n";
    if (!r.fatal.empty())
    {
        o << "FAILED: " << r.fatal << "\n";
        return o.str();
    }
    char line[256];
    for (std::size_t i = 0; i < r.reps.size(); ++i)
    {
        const auto& rep = r.reps[i];
        std::snprintf(line, sizeof line,
                      "  rep %zu: %.2f s, %llu ops (%.0f/s), %.1f MB/s, p50 %.1f us, p99 %.1f us, "
                      "errors %llu\n",
                      i + 1, rep.seconds, static_cast<unsigned long long>(rep.operations),
                      rep.seconds > 0 ? double(rep.operations) / rep.seconds : 0.0,
                      rep.seconds > 0 ? double(rep.bytes) / 1e6 / rep.seconds : 0.0,
                      us(rep.latency.percentile(50)), us(rep.latency.percentile(99)),
                      static_cast<unsigned long long>(rep.errors));
        o << line;
    }
    auto s = summarize(r);
    std::snprintf(line, sizeof line,
                  "median of %zu: %.0f ops/s, %.1f MB/s; latency us p50 %.1f p90 %.1f p99 %.1f "
                  "p99.9 %.1f max %.1f\n",
                  r.reps.size(), s.ops_per_s, s.mb_per_s, s.p50_us, s.p90_us, s.p99_us, s.p999_us,
                  s.max_us);
    o << line;
    std::snprintf(line, sizeof line, "CPU per operation: client %.2f us", s.client_cpu_us_per_op);
    o << line;
    if (s.server_cpu_us_per_op >= 0)
    {
        std::snprintf(line, sizeof line, ", server %.2f us", s.server_cpu_us_per_op);
        o << line;
    }
    o << "\n";
    if (r.server_rss_start_kib >= 0)
        o << "server RSS: " << r.server_rss_start_kib << " KiB at start, peak " << r.server_peak_kib
          << " KiB\n";
    o << "errors: " << r.errors << "\n";
    for (const auto& e : r.error_samples)
        o << "  error: " << e << "\n";
    o << "note: " << coordinated_omission_note << "\n";
    return o.str();
}

std::string to_json(const load_result& r, const std::string& label)
{
    const auto& c = r.config;
    auto s = summarize(r);
    std::ostringstream o;
    o << "{\"kind\":\"load\",\"label\":" << json_string(label)
      << ",\"workload\":" << json_string(to_string(c.load)) << ",\"size\":" << c.size
      << ",\"connections\":" << c.connections << ",\"streams\":" << c.streams
      << ",\"target\":" << json_string(c.target) << ",\"tls\":" << (c.tls ? "true" : "false")
      << ",\"warmup_s\":" << num(c.warmup) << ",\"duration_s\":" << num(c.duration)
      << ",\"calls_per_rep\":" << c.calls << ",\"repetitions\":" << c.repetitions
      << ",\"errors\":" << r.errors << ",\"fatal\":" << json_string(r.fatal) << ",\"reps\":[";
    for (std::size_t i = 0; i < r.reps.size(); ++i)
    {
        const auto& rep = r.reps[i];
        o << (i ? "," : "") << "{\"seconds\":" << num(rep.seconds)
          << ",\"operations\":" << rep.operations << ",\"calls\":" << rep.calls
          << ",\"bytes\":" << rep.bytes << ",\"errors\":" << rep.errors
          << ",\"p50_us\":" << num(us(rep.latency.percentile(50)))
          << ",\"p90_us\":" << num(us(rep.latency.percentile(90)))
          << ",\"p99_us\":" << num(us(rep.latency.percentile(99)))
          << ",\"p999_us\":" << num(us(rep.latency.percentile(99.9)))
          << ",\"max_us\":" << num(us(rep.latency.max()))
          << ",\"client_cpu_s\":" << num(rep.client_cpu)
          << ",\"server_cpu_s\":" << num(rep.server_cpu) << "}";
    }
    o << "],\"median\":{\"ops_per_s\":" << num(s.ops_per_s)
      << ",\"calls_per_s\":" << num(s.calls_per_s) << ",\"mb_per_s\":" << num(s.mb_per_s)
      << ",\"p50_us\":" << num(s.p50_us) << ",\"p90_us\":" << num(s.p90_us)
      << ",\"p99_us\":" << num(s.p99_us) << ",\"p999_us\":" << num(s.p999_us)
      << ",\"max_us\":" << num(s.max_us)
      << ",\"client_cpu_us_per_op\":" << num(s.client_cpu_us_per_op)
      << ",\"server_cpu_us_per_op\":" << num(s.server_cpu_us_per_op) << "}"
      << ",\"server_rss_start_kib\":" << r.server_rss_start_kib
      << ",\"server_rss_end_kib\":" << r.server_rss_end_kib
      << ",\"server_peak_kib\":" << r.server_peak_kib << ",\"error_samples\":[";
    for (std::size_t i = 0; i < r.error_samples.size(); ++i)
        o << (i ? "," : "") << json_string(r.error_samples[i]);
    o << "],\"note\":" << json_string(coordinated_omission_note) << "}";
    return o.str();
}

std::string to_text(const startup_config& cfg, const startup_result& r)
{
    std::ostringstream o;
    o << "start-up of " << (cfg.command.empty() ? "" : cfg.command[0])
      << " (exec to handshake line)\n";
    if (!r.error.empty())
    {
        o << "FAILED: " << r.error << "\n";
        return o.str();
    }
    std::vector<double> ms, rss;
    for (double s : r.seconds)
        ms.push_back(s * 1000);
    for (long k : r.rss_kib)
        rss.push_back(double(k));
    char line[200];
    std::snprintf(line, sizeof line,
                  "median of %zu: %.2f ms (min %.2f, max %.2f), RSS after handshake %.0f KiB\n",
                  ms.size(), median(ms), *std::min_element(ms.begin(), ms.end()),
                  *std::max_element(ms.begin(), ms.end()), median(rss));
    o << line << "handshake: " << r.handshake << "\n";
    return o.str();
}

std::string to_json(const startup_config& cfg, const startup_result& r, const std::string& label)
{
    std::ostringstream o;
    std::vector<double> ms, rss;
    for (double s : r.seconds)
        ms.push_back(s * 1000);
    for (long k : r.rss_kib)
        rss.push_back(double(k));
    o << "{\"kind\":\"startup\",\"label\":" << json_string(label)
      << ",\"command\":" << json_string(cfg.command.empty() ? "" : cfg.command[0])
      << ",\"runs\":" << ms.size() << ",\"errors\":" << (r.error.empty() ? 0 : 1)
      << ",\"fatal\":" << json_string(r.error) << ",\"median_ms\":" << num(median(ms))
      << ",\"rss_kib\":" << num(median(rss)) << ",\"ms\":[";
    for (std::size_t i = 0; i < ms.size(); ++i)
        o << (i ? "," : "") << num(ms[i]);
    o << "],\"handshake\":" << json_string(r.handshake) << "}";
    return o.str();
}
} // namespace bench
