#pragma once

/**
 * @file
 * The phases of a load run on one Asio thread: warm-up, then the repetitions, each
 * ended by its duration or its operation count; CPU time is read at every boundary.
 */

#include "load.hpp"

#include <rpcplugin/asio.hpp>

#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace bench
{
/** The counters workers add to, and the controller's wake-up. Single-threaded. */
class phase_state
{
public:
    phase_state(const load_config& c, boost::asio::any_io_executor ex);

    const load_config& cfg;
    /** Set when the workers must finish their current operation and return. */
    bool stopping = false;
    /** Workers still running. */
    unsigned alive = 0;
    std::vector<std::string> error_samples;
    /** Errors in every phase, the warm-up and the wind-down included. */
    std::uint64_t total_errors = 0;

    /** An operation completed: its latency (0: not timed), counts and payload bytes. */
    void done(std::uint64_t latency_ns, std::uint64_t operations, std::uint64_t calls,
              std::uint64_t bytes);
    /** Operations and bytes that are not separately timed (messages of a stream). */
    void progress(std::uint64_t operations, std::uint64_t bytes);
    /** A call ended OK (untimed). */
    void done_call() { ++current_.calls; }
    /** An operation failed. */
    void error(std::string what);
    /** A worker returned. */
    void worker_done();

    /** Runs the warm-up and the repetitions into `out`, then stops the workers and waits. */
    rpcplugin::asio::awaitable<void> run_phases(load_result& out);

private:
    rpcplugin::asio::awaitable<rep_result> phase(double seconds, std::uint64_t operations);
    void wake();
    double server_cpu() const;

    rep_result current_;
    std::uint64_t target_ = 0;
    boost::asio::steady_timer timer_;
};

/** Convenience: `st.run_phases(out)`. */
inline rpcplugin::asio::awaitable<void> run_phases(phase_state& st, load_result& out)
{
    return st.run_phases(out);
}
} // namespace bench
