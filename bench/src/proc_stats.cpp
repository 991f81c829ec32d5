#include "proc_stats.hpp"

#include <sched.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>

namespace bench
{
double self_cpu_seconds() noexcept
{
    rusage ru{};
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    auto sec = [](const timeval& tv) { return double(tv.tv_sec) + double(tv.tv_usec) * 1e-6; };
    return sec(ru.ru_utime) + sec(ru.ru_stime);
}

std::optional<double> thread_cpu_seconds(pthread_t thread) noexcept
{
    clockid_t id;
    if (pthread_getcpuclockid(thread, &id) != 0)
        return std::nullopt;
    timespec ts{};
    if (clock_gettime(id, &ts) != 0)
        return std::nullopt;
    return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

std::optional<double> process_cpu_seconds(pid_t pid) noexcept
{
    char path[64];
    std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
    std::FILE* f = std::fopen(path, "r");
    if (!f)
        return std::nullopt;
    char buf[1024];
    std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = '\0';
    // The command name (field 2) may hold spaces and parentheses: fields restart after
    // the last ')'. Field 3 (state) is the first after it; utime and stime are 14 and 15.
    const char* p = std::strrchr(buf, ')');
    if (!p)
        return std::nullopt;
    ++p;
    unsigned long utime = 0, stime = 0;
    for (int field = 3; field <= 15; ++field)
    {
        char* end = nullptr;
        while (*p == ' ')
            ++p;
        if (field == 3)
        {
            ++p; // state is one character
            continue;
        }
        unsigned long v = std::strtoul(p, &end, 10);
        if (end == p)
            return std::nullopt;
        p = end;
        if (field == 14)
            utime = v;
        else if (field == 15)
            stime = v;
    }
    long ticks = sysconf(_SC_CLK_TCK);
    if (ticks <= 0)
        return std::nullopt;
    return double(utime + stime) / double(ticks);
}

memory_kib process_memory(pid_t pid) noexcept
{
    memory_kib m;
    try
    {
        std::ifstream in("/proc/" + std::to_string(pid) + "/status");
        std::string line;
        while (std::getline(in, line))
        {
            auto value = [&]
            { return std::strtol(line.c_str() + line.find(':') + 1, nullptr, 10); };
            if (line.rfind("VmRSS:", 0) == 0)
                m.rss = value();
            else if (line.rfind("VmHWM:", 0) == 0)
                m.peak = value();
        }
    }
    catch (...)
    {
    }
    return m;
}

bool pin_this_thread(int cpu) noexcept
{
    if (cpu < 0 || cpu >= CPU_SETSIZE)
        return false;
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set) == 0;
}
} // namespace bench
