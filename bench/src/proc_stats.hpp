#pragma once

/**
 * @file
 * CPU time and memory of processes and threads, from getrusage, thread CPU clocks and
 * /proc/PID/{stat,status}.
 */

#include <pthread.h>
#include <sys/types.h>

#include <optional>

namespace bench
{
/** User plus system CPU seconds of this whole process (getrusage RUSAGE_SELF). */
double self_cpu_seconds() noexcept;

/** CPU seconds of one thread of this process (its pthread CPU clock); nullopt on error. */
std::optional<double> thread_cpu_seconds(pthread_t thread) noexcept;

/** User plus system CPU seconds of process `pid`, all threads including exited ones
    (/proc/PID/stat utime + stime, clock-tick resolution); nullopt if unreadable. */
std::optional<double> process_cpu_seconds(pid_t pid) noexcept;

/** Resident set size now (VmRSS) and its peak (VmHWM) of process `pid`, in KiB. */
struct memory_kib
{
    long rss = -1;
    long peak = -1;
};

/** Reads /proc/PID/status; fields missing or unreadable stay -1. */
memory_kib process_memory(pid_t pid) noexcept;

/** Pins the calling thread to `cpu`; false if the CPU does not exist or is not allowed. */
bool pin_this_thread(int cpu) noexcept;
} // namespace bench
