#include "startup.hpp"

#include "proc_stats.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <sstream>
#include <thread>

extern char** environ;

namespace bench
{
namespace
{
using clock = std::chrono::steady_clock;

std::vector<std::string> split(const std::string& s, char sep)
{
    std::vector<std::string> out;
    std::string cur;
    std::istringstream in(s);
    while (std::getline(in, cur, sep))
        out.push_back(cur);
    return out;
}

// Waits up to `seconds` for the child to exit; true if it was reaped.
bool reap(pid_t pid, double seconds)
{
    auto until = clock::now() + std::chrono::duration<double>(seconds);
    for (;;)
    {
        int st = 0;
        pid_t r = ::waitpid(pid, &st, WNOHANG);
        if (r == pid || (r < 0 && errno != EINTR))
            return true;
        if (clock::now() >= until)
            return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
}
} // namespace

bool is_handshake_line(const std::string& line)
{
    auto f = split(line, '|');
    if (f.size() < 5)
        return false;
    auto digits = [](const std::string& s)
    { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos; };
    return digits(f[0]) && digits(f[1]) && (f[2] == "unix" || f[2] == "tcp") && !f[3].empty() &&
           (f[4] == "grpc" || f[4] == "netrpc");
}

startup_result measure_startup(const startup_config& cfg)
{
    startup_result res;
    if (cfg.command.empty())
    {
        res.error = "no plugin command";
        return res;
    }
    std::vector<std::string> envs;
    for (char** e = environ; *e; ++e)
        envs.emplace_back(*e);
    for (const auto& e : cfg.env)
        envs.push_back(e);
    std::vector<char*> envp, argv;
    for (auto& e : envs)
        envp.push_back(e.data());
    envp.push_back(nullptr);
    std::vector<std::string> args = cfg.command;
    for (auto& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);

    for (unsigned run = 0; run < cfg.runs; ++run)
    {
        int out[2];
        if (::pipe2(out, O_CLOEXEC) != 0)
        {
            res.error = std::string("pipe: ") + std::strerror(errno);
            return res;
        }
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_adddup2(&fa, out[1], 1);
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
        posix_spawnattr_t attr;
        posix_spawnattr_init(&attr);
        // The child inherits our affinity: pin ourselves around the spawn.
        cpu_set_t saved;
        CPU_ZERO(&saved);
        bool pinned = cfg.cpu >= 0 && sched_getaffinity(0, sizeof saved, &saved) == 0 &&
                      pin_this_thread(cfg.cpu);
        pid_t pid = -1;
        const auto t0 = clock::now();
        int rc = ::posix_spawn(&pid, argv[0], &fa, &attr, argv.data(), envp.data());
        if (pinned)
            sched_setaffinity(0, sizeof saved, &saved);
        posix_spawn_file_actions_destroy(&fa);
        posix_spawnattr_destroy(&attr);
        ::close(out[1]);
        if (rc != 0)
        {
            ::close(out[0]);
            res.error = "cannot run " + cfg.command[0] + ": " + std::strerror(rc);
            return res;
        }
        std::string line;
        bool got_line = false;
        const auto until = t0 + std::chrono::duration<double>(cfg.timeout);
        while (!got_line)
        {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - clock::now());
            if (left.count() <= 0)
                break;
            pollfd p{out[0], POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
                continue;
            char buf[512];
            ssize_t n = ::read(out[0], buf, sizeof buf);
            if (n <= 0)
                break;
            for (ssize_t i = 0; i < n && !got_line; ++i)
            {
                if (buf[i] == '\n')
                    got_line = true;
                else
                    line.push_back(buf[i]);
            }
        }
        const auto t1 = clock::now();
        long rss = got_line ? process_memory(pid).rss : -1;
        ::kill(pid, SIGTERM);
        if (!reap(pid, 5))
        {
            ::kill(pid, SIGKILL);
            reap(pid, 5);
        }
        ::close(out[0]);
        if (!got_line)
        {
            res.error = cfg.command[0] + " printed no handshake line within the timeout";
            return res;
        }
        if (!is_handshake_line(line))
        {
            res.error = cfg.command[0] + " printed a line that is not a handshake: " + line;
            return res;
        }
        res.handshake = line;
        res.seconds.push_back(std::chrono::duration<double>(t1 - t0).count());
        res.rss_kib.push_back(rss);
    }
    return res;
}
} // namespace bench
