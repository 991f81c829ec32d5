#include "phase.hpp"

#include "proc_stats.hpp"

#include <chrono>

namespace bench
{
using rpcplugin::use_tuple;
using clock = std::chrono::steady_clock;

phase_state::phase_state(const load_config& c, boost::asio::any_io_executor ex)
    : cfg(c)
    , timer_(std::move(ex))
{
}

void phase_state::done(std::uint64_t latency_ns, std::uint64_t operations, std::uint64_t calls,
                       std::uint64_t bytes)
{
    if (latency_ns)
        current_.latency.record(latency_ns);
    current_.operations += operations;
    current_.calls += calls;
    current_.bytes += bytes;
    if (target_ && current_.operations >= target_)
        wake();
}

void phase_state::progress(std::uint64_t operations, std::uint64_t bytes)
{
    current_.operations += operations;
    current_.bytes += bytes;
    if (target_ && current_.operations >= target_)
        wake();
}

void phase_state::error(std::string what)
{
    ++current_.errors;
    ++total_errors;
    if (error_samples.size() < 5)
        error_samples.push_back(std::move(what));
    if (cfg.stop_on_error)
    {
        stopping = true;
        wake();
    }
}

void phase_state::worker_done()
{
    if (--alive == 0)
    {
        stopping = true;
        wake();
    }
}

void phase_state::wake()
{
    timer_.cancel();
}

double phase_state::server_cpu() const
{
    if (cfg.server_thread)
    {
        auto t = thread_cpu_seconds(static_cast<pthread_t>(*cfg.server_thread));
        return t ? *t : -1;
    }
    if (cfg.server_pid > 0)
    {
        auto t = process_cpu_seconds(cfg.server_pid);
        return t ? *t : -1;
    }
    return -1;
}

rpcplugin::asio::awaitable<rep_result> phase_state::phase(double seconds, std::uint64_t operations)
{
    current_ = rep_result{};
    target_ = operations;
    const double cpu0 = self_cpu_seconds();
    const double srv0 = server_cpu();
    const auto t0 = clock::now();
    const auto deadline = operations ? clock::time_point::max()
                                     : t0 + std::chrono::duration_cast<clock::duration>(
                                                std::chrono::duration<double>(seconds));
    while (!stopping && (operations ? current_.operations < operations : clock::now() < deadline))
    {
        timer_.expires_at(deadline);
        co_await timer_.async_wait(use_tuple);
    }
    const auto t1 = clock::now();
    const double cpu1 = self_cpu_seconds();
    const double srv1 = server_cpu();
    rep_result r = std::move(current_);
    current_ = rep_result{};
    target_ = 0;
    r.seconds = std::chrono::duration<double>(t1 - t0).count();
    r.client_cpu = cpu1 - cpu0;
    if (srv0 >= 0 && srv1 >= 0)
    {
        r.server_cpu = srv1 - srv0;
        if (cfg.server_thread) // in-process: our own CPU time includes the server thread's
            r.client_cpu -= r.server_cpu;
    }
    co_return r;
}

rpcplugin::asio::awaitable<void> phase_state::run_phases(load_result& out)
{
    if (cfg.server_pid > 0)
        out.server_rss_start_kib = process_memory(cfg.server_pid).rss;
    if (cfg.warmup > 0)
    {
        rep_result discarded = co_await phase(cfg.warmup, 0); // named: see the g++ 12 notes
    }
    for (unsigned i = 0; i < cfg.repetitions && !stopping; ++i)
    {
        rep_result r = co_await phase(cfg.duration, cfg.calls);
        out.reps.push_back(std::move(r));
    }
    stopping = true;
    while (alive > 0)
    {
        timer_.expires_at(clock::time_point::max());
        co_await timer_.async_wait(use_tuple);
    }
    out.errors = total_errors;
    if (cfg.server_pid > 0)
    {
        auto m = process_memory(cfg.server_pid);
        out.server_peak_kib = m.peak;
        out.server_rss_end_kib = m.rss;
    }
}
} // namespace bench
