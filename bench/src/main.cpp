// rpcplugin-bench: a gRPC load generator on rpcplugin's client, and a start-up timer for
// go-plugin plugins. See bench/README.md.
#include "echo_service.hpp"
#include "load.hpp"
#include "proc_stats.hpp"
#include "report.hpp"
#include "startup.hpp"
#include "support/tls_files.hpp"

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <string_view>

namespace
{
const char* usage_text = R"(usage:
  rpcplugin-bench [load] [options]      drive load at a server and report
  rpcplugin-bench startup [options] -- PLUGIN [ARGS...]
                                        time a go-plugin plugin from exec to its handshake

load options:
  --workload W        unary | server-stream | bidi | raw-pingpong | raw-bulk  (unary)
  --size N            payload bytes per message; K/KiB and M/MiB suffixes      (1KiB)
  --connections N     connections                                               (1)
  --streams N         closed-loop workers (concurrent calls) per connection     (1)
  --target ADDR       the server: unix:PATH or HOST:PORT, serving rpcplugin.bench.Echo
                      (raw workloads: a raw-echo-server)
  --in-process        serve rpcplugin's echo server from this process instead, on its own
                      thread (with --transport unix|tcp|tls; TLS needs --cert and --key)
  --tls               connect with TLS; --ca FILE verifies the server (else unverified),
                      --server-name NAME is the name checked (localhost)
  --warmup S          warm-up seconds, not reported                             (1)
  --duration S        seconds per repetition                                    (5)
  --calls N           operations per repetition instead of a duration
  --repetitions N     repetitions; the median is reported                       (3)
  --server-pid PID    read the server's CPU and memory from /proc/PID
  --cpu N             pin the load generator to CPU N
  --server-cpu N      pin the in-process server thread to CPU N
  --stream-messages N messages per ServerStream call (about 8 MiB per call)
  --bidi-window N     Bidi messages in flight per stream (about 1 MiB)
  --stop-on-error     stop at the first error
  --json              print one JSON object instead of text
  --label TEXT        a label copied into the JSON

startup options:
  --runs N            runs; the median is reported (10)
  --env NAME=VALUE    add to the plugin's environment (repeatable)
  --cpu N             pin the plugin to CPU N
  --json, --label     as above

The exit status is 1 when any call failed or the run could not start, 2 on bad usage;
never because of speed.
)";

int usage()
{
    std::cerr << usage_text;
    return 2;
}

std::optional<std::size_t> parse_size(std::string_view s)
{
    std::size_t mult = 1;
    auto ends = [&](std::string_view suf)
    {
        if (s.size() > suf.size() && s.substr(s.size() - suf.size()) == suf)
        {
            s.remove_suffix(suf.size());
            return true;
        }
        return false;
    };
    if (ends("KiB") || ends("K") || ends("k"))
        mult = 1024;
    else if (ends("MiB") || ends("M"))
        mult = 1024 * 1024;
    else
        ends("B");
    if (s.empty() || s.find_first_not_of("0123456789") != std::string_view::npos)
        return std::nullopt;
    return std::stoull(std::string(s)) * mult;
}

int run_startup(int argc, char** argv, int i)
{
    bench::startup_config cfg;
    bool json = false;
    std::string label;
    for (rpcplugin::test::program_args args(argc, argv, i); args.next();)
    {
        if (args.is("--"))
        {
            for (int j = args.index() + 1; j < argc; ++j)
                cfg.command.emplace_back(argv[j]);
            break;
        }
        if (args.is("--runs"))
            cfg.runs = static_cast<unsigned>(std::stoul(args.value()));
        else if (args.is("--env"))
            cfg.env.push_back(args.value());
        else if (args.is("--cpu"))
            cfg.cpu = std::stoi(args.value());
        else if (args.is("--json"))
            json = true;
        else if (args.is("--label"))
            label = args.value();
        else
            return usage();
    }
    if (cfg.command.empty() || cfg.runs == 0)
        return usage();
    auto r = bench::measure_startup(cfg);
    std::cout << (json ? bench::to_json(cfg, r, label) + "\n" : bench::to_text(cfg, r))
              << std::flush;
    return r.error.empty() ? 0 : 1;
}

int run_load(int argc, char** argv, int i)
{
    bench::load_config cfg;
    bool in_process = false, json = false, tls = false;
    std::string transport = "unix", ca, cert, key, server_name = "localhost", label;
    int cpu = -1, server_cpu = -1;
    for (rpcplugin::test::program_args args(argc, argv, i); args.next();)
    {
        if (args.is("--workload"))
        {
            auto w = bench::parse_workload(args.value());
            if (!w)
                return usage();
            cfg.load = *w;
        }
        else if (args.is("--size"))
        {
            auto s = parse_size(args.value());
            if (!s)
                return usage();
            cfg.size = *s;
        }
        else if (args.is("--connections"))
            cfg.connections = static_cast<unsigned>(std::stoul(args.value()));
        else if (args.is("--streams"))
            cfg.streams = static_cast<unsigned>(std::stoul(args.value()));
        else if (args.is("--target"))
            cfg.target = args.value();
        else if (args.is("--in-process"))
            in_process = true;
        else if (args.is("--transport"))
            transport = args.value();
        else if (args.is("--tls"))
            tls = true;
        else if (args.is("--ca"))
            ca = args.value();
        else if (args.is("--cert"))
            cert = args.value();
        else if (args.is("--key"))
            key = args.value();
        else if (args.is("--server-name"))
            server_name = args.value();
        else if (args.is("--warmup"))
            cfg.warmup = std::stod(args.value());
        else if (args.is("--duration"))
            cfg.duration = std::stod(args.value());
        else if (args.is("--calls"))
            cfg.calls = std::stoull(args.value());
        else if (args.is("--repetitions"))
            cfg.repetitions = static_cast<unsigned>(std::stoul(args.value()));
        else if (args.is("--server-pid"))
            cfg.server_pid = static_cast<pid_t>(std::stol(args.value()));
        else if (args.is("--cpu"))
            cpu = std::stoi(args.value());
        else if (args.is("--server-cpu"))
            server_cpu = std::stoi(args.value());
        else if (args.is("--stream-messages"))
            cfg.stream_messages = static_cast<std::uint32_t>(std::stoul(args.value()));
        else if (args.is("--bidi-window"))
            cfg.bidi_window = static_cast<unsigned>(std::stoul(args.value()));
        else if (args.is("--stop-on-error"))
            cfg.stop_on_error = true;
        else if (args.is("--json"))
            json = true;
        else if (args.is("--label"))
            label = args.value();
        else
            return usage();
    }
    if (cfg.connections == 0 || cfg.streams == 0 || cfg.repetitions == 0 ||
        (cfg.duration <= 0 && cfg.calls == 0) || in_process == !cfg.target.empty())
        return usage();

    std::optional<bench::echo_server> server;
    if (in_process)
    {
        if (transport == "tls")
            tls = true;
        else if (transport != "unix" && transport != "tcp")
            return usage();
        if (cfg.load == bench::workload::raw_pingpong || cfg.load == bench::workload::raw_bulk)
        {
            std::cerr
                << "error: --in-process serves gRPC only; run raw-echo-server for raw workloads\n";
            return 2;
        }
        std::optional<rpcplugin::tls::server_config> server_tls;
        if (tls)
        {
            if (cert.empty() || key.empty())
            {
                std::cerr << "error: --in-process over TLS needs --cert and --key\n";
                return 2;
            }
            server_tls = rpcplugin::test::server_tls_files(cert, key);
        }
        rpcplugin::transport::endpoint ep =
            transport == "unix"
                ? rpcplugin::transport::unix_endpoint("/tmp/rpcplugin-bench-" +
                                                      std::to_string(::getpid()) + ".sock")
                : rpcplugin::transport::tcp_endpoint("127.0.0.1", 0);
        server.emplace(ep, server_tls);
        server->start_thread(server_cpu);
        cfg.target = server->address();
        cfg.server_thread = static_cast<unsigned long>(server->native_thread());
    }
    if (tls)
        cfg.tls = rpcplugin::test::client_tls_files(ca, server_name, {}, {}, true);
    if (cpu >= 0 && !bench::pin_this_thread(cpu))
        std::cerr << "warning: cannot pin the load generator to CPU " << cpu << "\n";

    auto r = bench::run_load(cfg);
    if (server)
        server->stop();
    std::cout << (json ? bench::to_json(r, label) + "\n" : bench::to_text(r)) << std::flush;
    return r.fatal.empty() && r.errors == 0 ? 0 : 1;
}
} // namespace

int main(int argc, char** argv)
{
    try
    {
        int i = 1;
        std::string_view cmd = argc > 1 ? argv[1] : "";
        if (cmd == "startup")
            return run_startup(argc, argv, 2);
        if (cmd == "load")
            i = 2;
        else if (cmd == "-h" || cmd == "--help")
        {
            std::cout << usage_text;
            return 0;
        }
        return run_load(argc, argv, i);
    }
    catch (const std::exception& e)
    {
        std::cerr << "error: " << e.what() << "\n";
        return 2;
    }
}
