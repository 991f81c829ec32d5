#include "rpcplugin/host/process.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace rpcplugin::host
{
using boost::system::error_code;
using namespace std::chrono_literals;

namespace
{
error_code errno_code(int e)
{
    return {e, boost::system::system_category()};
}

// posix_spawn file actions and attributes, released on every path.
struct spawn_setup
{
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
    bool have_actions = false;
    bool have_attr = false;
    ~spawn_setup()
    {
        if (have_actions)
            posix_spawn_file_actions_destroy(&actions);
        if (have_attr)
            posix_spawnattr_destroy(&attr);
    }
};

struct fd_pair
{
    int fd[2] = {-1, -1};
    ~fd_pair()
    {
        for (int f : fd)
            if (f >= 0)
                ::close(f);
    }
};

int open_pidfd(pid_t pid)
{
#ifdef SYS_pidfd_open
    return static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}
} // namespace

std::string exit_status::to_string() const
{
    if (!signaled)
        return code < 0 ? std::string("exit status unknown")
                        : "exit status " + std::to_string(code);
    const char* name = sigabbrev_np(signal);
    return "killed by signal " + std::to_string(signal) +
           (name ? std::string(" (SIG") + name + ")" : std::string());
}

exit_status exit_status::from_wait_status(int status) noexcept
{
    exit_status s;
    if (WIFSIGNALED(status))
    {
        s.signaled = true;
        s.signal = WTERMSIG(status);
    }
    else
        s.code = WEXITSTATUS(status);
    return s;
}

boost::system::result<std::unique_ptr<child_process>>
child_process::spawn(asio::any_io_executor ex, const spawn_options& opts)
{
    if (opts.path.empty())
        return errno_code(ENOENT);
    fd_pair out, err;
    if (::pipe2(out.fd, O_CLOEXEC) != 0 || ::pipe2(err.fd, O_CLOEXEC) != 0)
        return errno_code(errno);

    spawn_setup s;
    if (int e = posix_spawn_file_actions_init(&s.actions); e != 0)
        return errno_code(e);
    s.have_actions = true;
    if (int e = posix_spawnattr_init(&s.attr); e != 0)
        return errno_code(e);
    s.have_attr = true;

    int e = 0;
    if (!opts.inherit_stdin)
        e = posix_spawn_file_actions_addopen(&s.actions, 0, "/dev/null", O_RDONLY, 0);
    if (e == 0)
        e = posix_spawn_file_actions_adddup2(&s.actions, out.fd[1], 1);
    if (e == 0)
        e = posix_spawn_file_actions_adddup2(&s.actions, err.fd[1], 2);
    // Nothing else of the host leaks into the plugin (Asio's sockets are not CLOEXEC).
    if (e == 0)
        e = posix_spawn_file_actions_addclosefrom_np(&s.actions, 3);
    sigset_t all, none;
    sigfillset(&all);
    sigemptyset(&none);
    if (e == 0)
        e = posix_spawnattr_setsigdefault(&s.attr, &all);
    if (e == 0)
        e = posix_spawnattr_setsigmask(&s.attr, &none);
    if (e == 0)
        e = posix_spawnattr_setflags(&s.attr, POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
    if (e != 0)
        return errno_code(e);

    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(opts.path.c_str()));
    for (const auto& a : opts.args)
        argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    std::vector<char*> envp;
    for (const auto& v : opts.env)
        envp.push_back(const_cast<char*>(v.c_str()));
    envp.push_back(nullptr);

    pid_t pid = -1;
    const bool search = opts.path.find('/') == std::string::npos;
    e = search
            ? ::posix_spawnp(&pid, opts.path.c_str(), &s.actions, &s.attr, argv.data(), envp.data())
            : ::posix_spawn(&pid, opts.path.c_str(), &s.actions, &s.attr, argv.data(), envp.data());
    if (e != 0)
        return errno_code(e);

    ::close(out.fd[1]);
    out.fd[1] = -1;
    ::close(err.fd[1]);
    err.fd[1] = -1;
    std::unique_ptr<child_process> child(new child_process(ex, pid, out.fd[0], err.fd[0]));
    out.fd[0] = -1;
    err.fd[0] = -1;
    return child;
}

child_process::child_process(asio::any_io_executor ex, pid_t pid, int out_fd, int err_fd)
    : pid_(pid)
    , stdout_(ex, out_fd)
    , stderr_(ex, err_fd)
{
    int pfd = open_pidfd(pid);
    if (pfd >= 0)
    {
        ::fcntl(pfd, F_SETFD, FD_CLOEXEC);
        pidfd_.emplace(ex, pfd);
    }
}

child_process::~child_process()
{
    kill_and_reap();
}

std::optional<exit_status> child_process::reap(bool block)
{
    std::lock_guard lock(mutex_);
    if (status_)
        return status_;
    int st = 0;
    for (;;)
    {
        pid_t r = ::waitpid(pid_, &st, block ? 0 : WNOHANG);
        if (r == pid_)
        {
            status_ = exit_status::from_wait_status(st);
            return status_;
        }
        if (r == 0)
            return std::nullopt;
        if (errno == EINTR)
            continue;
        // ECHILD: someone else reaped it (a SIGCHLD handler set to SIG_IGN); the status is lost.
        status_ = exit_status{false, -1, 0};
        return status_;
    }
}

std::optional<exit_status> child_process::try_reap()
{
    return reap(false);
}

std::optional<exit_status> child_process::status() const
{
    std::lock_guard lock(mutex_);
    return status_;
}

void child_process::kill() noexcept
{
    std::lock_guard lock(mutex_);
    if (!status_)
        ::kill(pid_, SIGKILL);
}

exit_status child_process::kill_and_reap() noexcept
{
    if (auto s = try_reap())
        return *s;
    kill();
    return *reap(true);
}

void child_process::close_pipes() noexcept
{
    error_code ignored;
    stdout_.close(ignored);
    stderr_.close(ignored);
}

asio::awaitable<std::tuple<error_code, exit_status>> child_process::wait()
{
    if (auto s = try_reap())
        co_return std::tuple{error_code{}, *s};
    if (pidfd_)
    {
        // A pidfd becomes readable when the process exits.
        auto [ec] = co_await pidfd_->async_wait(asio::posix::descriptor_base::wait_read, use_tuple);
        if (ec == asio::error::operation_aborted)
            co_return std::tuple{ec, exit_status{}};
        if (auto s = try_reap())
            co_return std::tuple{error_code{}, *s};
    }
    // No pidfd (or a spurious wakeup): poll, from 1 ms up to 50 ms between checks.
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer t(ex);
    auto delay = 1ms;
    for (;;)
    {
        if (auto s = try_reap())
            co_return std::tuple{error_code{}, *s};
        t.expires_after(delay);
        auto [ec] = co_await t.async_wait(use_tuple);
        if (ec)
            co_return std::tuple{ec, exit_status{}};
        delay = std::min(delay * 2, std::chrono::milliseconds(50));
    }
}
} // namespace rpcplugin::host
