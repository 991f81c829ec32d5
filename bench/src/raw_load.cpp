// The raw-socket baseline's client: one blocking thread per connection.
#include "load.hpp"
#include "proc_stats.hpp"
#include "raw_protocol.hpp"
#include "socket_io.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

namespace bench
{
namespace
{
using clock = std::chrono::steady_clock;

// One connection's counters, taken by the controller at phase boundaries.
struct raw_worker
{
    std::mutex m;
    rep_result cur;
    std::vector<std::string> errors;
    int fd = -1;
    bool failed = false;

    void error(std::string what)
    {
        std::lock_guard lock(m);
        ++cur.errors;
        if (errors.size() < 3)
            errors.push_back(std::move(what));
        failed = true;
    }
};

void pingpong(raw_worker& w, const load_config& cfg, const std::atomic<bool>& stopping)
{
    std::vector<unsigned char> msg(4 + cfg.size, 'x');
    raw::put_u32(msg.data(), static_cast<std::uint32_t>(cfg.size));
    std::vector<unsigned char> in(4 + cfg.size);
    while (!stopping.load(std::memory_order_relaxed))
    {
        auto t0 = clock::now();
        if (!write_all(w.fd, msg.data(), msg.size()) || !read_all(w.fd, in.data(), 4))
        {
            if (!stopping)
                w.error("raw ping-pong: connection lost");
            return;
        }
        std::uint32_t len = raw::get_u32(in.data());
        if (len != cfg.size || !read_all(w.fd, in.data() + 4, len))
        {
            if (!stopping)
                w.error("raw ping-pong: bad echo");
            return;
        }
        auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now() - t0).count();
        std::lock_guard lock(w.m);
        w.cur.latency.record(static_cast<std::uint64_t>(ns));
        ++w.cur.operations;
        ++w.cur.calls;
        w.cur.bytes += len;
    }
}

void bulk(raw_worker& w, const load_config& cfg, const std::atomic<bool>& stopping)
{
    std::vector<unsigned char> buf(256 * 1024);
    unsigned char header[4];
    std::size_t header_have = 0;
    std::size_t payload_left = 0; // of the message being read
    while (!stopping.load(std::memory_order_relaxed))
    {
        ssize_t n = ::recv(w.fd, buf.data(), buf.size(), 0);
        if (n <= 0)
        {
            if (!stopping)
                w.error("raw bulk: connection lost");
            return;
        }
        std::size_t i = 0, len = static_cast<std::size_t>(n);
        std::uint64_t messages = 0, bytes = 0;
        while (i < len)
        {
            if (payload_left > 0)
            {
                std::size_t take = std::min(payload_left, len - i);
                payload_left -= take;
                bytes += take;
                i += take;
                if (payload_left == 0)
                    ++messages;
                continue;
            }
            header[header_have++] = buf[i++];
            if (header_have < 4)
                continue;
            header_have = 0;
            if (raw::get_u32(header) != cfg.size)
            {
                w.error("raw bulk: bad message length");
                return;
            }
            payload_left = cfg.size;
            if (payload_left == 0)
                ++messages;
        }
        std::lock_guard lock(w.m);
        w.cur.operations += messages;
        w.cur.bytes += bytes;
    }
}

// Sums the workers' counters since the last take and resets them.
rep_result take(std::vector<std::unique_ptr<raw_worker>>& workers)
{
    rep_result sum;
    for (auto& w : workers)
    {
        std::lock_guard lock(w->m);
        sum.operations += w->cur.operations;
        sum.calls += w->cur.calls;
        sum.bytes += w->cur.bytes;
        sum.errors += w->cur.errors;
        sum.latency.merge(w->cur.latency);
        w->cur = rep_result{};
    }
    return sum;
}

std::uint64_t operations_so_far(std::vector<std::unique_ptr<raw_worker>>& workers, bool& failed)
{
    std::uint64_t n = 0;
    for (auto& w : workers)
    {
        std::lock_guard lock(w->m);
        n += w->cur.operations;
        failed = failed || w->failed;
    }
    return n;
}
} // namespace

load_result run_raw_load(const load_config& cfg)
{
    load_result out;
    out.config = cfg;
    if (cfg.streams != 1)
    {
        out.fatal = "raw workloads have one stream per connection (--streams 1)";
        return out;
    }
    if (cfg.tls)
    {
        out.fatal = "raw workloads are plaintext only";
        return out;
    }
    if (cfg.size > raw::max_size)
    {
        out.fatal = "raw message size limit is 16 MiB";
        return out;
    }
    const char mode = cfg.load == workload::raw_bulk ? raw::mode_bulk : raw::mode_pingpong;
    std::vector<std::unique_ptr<raw_worker>> workers;
    for (unsigned i = 0; i < cfg.connections; ++i)
    {
        auto w = std::make_unique<raw_worker>();
        std::string err;
        w->fd = connect_to(cfg.target, err);
        unsigned char hello[raw::hello_size];
        raw::make_hello(hello, mode, static_cast<std::uint32_t>(cfg.size));
        if (w->fd < 0 || !write_all(w->fd, hello, sizeof hello))
        {
            out.fatal = err.empty() ? "raw hello failed" : err;
            for (auto& x : workers)
                ::close(x->fd);
            if (w->fd >= 0)
                ::close(w->fd);
            return out;
        }
        workers.push_back(std::move(w));
    }
    if (cfg.server_pid > 0)
        out.server_rss_start_kib = process_memory(cfg.server_pid).rss;

    std::atomic<bool> stopping{false};
    std::vector<std::thread> threads;
    for (auto& w : workers)
        threads.emplace_back(
            [&, wp = w.get()]
            {
                if (mode == raw::mode_bulk)
                    bulk(*wp, cfg, stopping);
                else
                    pingpong(*wp, cfg, stopping);
            });

    auto server_cpu = [&]() -> double
    {
        if (cfg.server_pid <= 0)
            return -1;
        auto t = process_cpu_seconds(cfg.server_pid);
        return t ? *t : -1;
    };
    std::uint64_t errors = 0;
    auto run_phase = [&](double seconds, std::uint64_t ops) -> rep_result
    {
        errors += take(workers).errors;
        const double cpu0 = self_cpu_seconds(), srv0 = server_cpu();
        const auto t0 = clock::now();
        for (;;)
        {
            bool failed = false;
            std::uint64_t n = operations_so_far(workers, failed);
            if (failed ||
                (ops ? n >= ops : clock::now() - t0 >= std::chrono::duration<double>(seconds)))
                break;
            std::this_thread::sleep_for(std::chrono::milliseconds(ops ? 1 : 5));
        }
        rep_result r = take(workers);
        r.seconds = std::chrono::duration<double>(clock::now() - t0).count();
        r.client_cpu = self_cpu_seconds() - cpu0;
        const double srv1 = server_cpu();
        if (srv0 >= 0 && srv1 >= 0)
            r.server_cpu = srv1 - srv0;
        errors += r.errors;
        return r;
    };
    if (cfg.warmup > 0)
        run_phase(cfg.warmup, 0);
    for (unsigned i = 0; i < cfg.repetitions; ++i)
    {
        out.reps.push_back(run_phase(cfg.duration, cfg.calls));
        bool failed = false;
        operations_so_far(workers, failed);
        if (failed && cfg.stop_on_error)
            break;
    }
    stopping = true;
    for (auto& w : workers)
        ::shutdown(w->fd, SHUT_RDWR);
    for (auto& t : threads)
        t.join();
    errors += take(workers).errors;
    for (auto& w : workers)
    {
        ::close(w->fd);
        for (auto& e : w->errors)
            if (out.error_samples.size() < 5)
                out.error_samples.push_back(e);
    }
    out.errors = errors;
    if (cfg.server_pid > 0)
    {
        auto m = process_memory(cfg.server_pid);
        out.server_peak_kib = m.peak;
        out.server_rss_end_kib = m.rss;
    }
    return out;
}
} // namespace bench
