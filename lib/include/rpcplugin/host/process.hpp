#pragma once

/**
 * @file
 * A child process with its stdout and stderr on pipes: launching a plugin, waiting for
 * its exit, killing and reaping it.
 */

#include "rpcplugin/asio.hpp"

#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/readable_pipe.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <sys/types.h>
#include <tuple>
#include <vector>

namespace rpcplugin::host
{
/** How a process ended. */
struct exit_status
{
    /** True when a signal ended it. */
    bool signaled = false;
    /** The exit code (when not `signaled`); -1 when unknown (the child was reaped elsewhere). */
    int code = 0;
    /** The signal (when `signaled`). */
    int signal = 0;

    /** Exited with status 0. */
    bool success() const noexcept { return !signaled && code == 0; }
    /** `exit status 3` or `killed by signal 9 (SIGKILL)`. */
    std::string to_string() const;
    /** From a `waitpid` status. */
    static exit_status from_wait_status(int status) noexcept;

    /** Member-wise equality. */
    friend bool operator==(const exit_status&, const exit_status&) = default;
};

/** What to run. */
struct spawn_options
{
    /** The executable: a path, or a name looked up in `PATH` when it has no `/`. */
    std::string path;
    /** Arguments after `argv[0]` (which is `path`). */
    std::vector<std::string> args;
    /** The complete environment, `KEY=VALUE` entries. */
    std::vector<std::string> env;
    /** Give the child the host's stdin (go-plugin does); else `/dev/null`. */
    bool inherit_stdin = true;
};

/**
 * A spawned child. stdout and stderr are pipes read through `stdout_pipe()` and
 * `stderr_pipe()`; the child starts with default signal dispositions, an empty signal
 * mask, and no descriptors of the host other than 0, 1, 2.
 *
 * The child is always reaped: by `wait`, by `try_reap`, or, when the object is destroyed
 * while the child runs, by SIGKILL and a blocking `waitpid` in the destructor. The exit is
 * observed through a pidfd (Linux 5.3+), or by polling `waitpid` where there is none.
 *
 * @par Thread Safety
 * `pid`, `status`, `kill`, `try_reap` and `kill_and_reap` are thread-safe. The pipes and
 * `wait` are Asio I/O objects: use them from one strand, one operation of each at a time.
 */
class child_process
{
public:
    /**
     * Starts `opts.path`. Fails with the `errno` of `pipe2`, `posix_spawn` or the exec
     * (`ENOENT`, `EACCES`, ...).
     */
    static boost::system::result<std::unique_ptr<child_process>> spawn(asio::any_io_executor ex,
                                                                       const spawn_options& opts);

    ~child_process();
    child_process(const child_process&) = delete;
    child_process& operator=(const child_process&) = delete;

    /** The process id (valid even after it was reaped). */
    pid_t pid() const noexcept { return pid_; }

    /** The read end of the child's stdout. */
    asio::readable_pipe& stdout_pipe() noexcept { return stdout_; }
    /** The read end of the child's stderr. */
    asio::readable_pipe& stderr_pipe() noexcept { return stderr_; }

    /**
     * Waits for the child to exit and reaps it.
     *
     * Completes with `{error_code, exit_status}`; at once when already reaped.
     * Cancellation: terminal, partial and total cancellation complete it with
     * `operation_aborted` (the child is not touched).
     */
    asio::awaitable<std::tuple<boost::system::error_code, exit_status>> wait();

    /** Reaps the child if it has exited (`waitpid` with WNOHANG); its status once reaped. */
    std::optional<exit_status> try_reap();

    /** The exit status once reaped. */
    std::optional<exit_status> status() const;

    /** Sends SIGKILL unless the child was reaped. */
    void kill() noexcept;

    /** SIGKILL and a blocking `waitpid`, unless already reaped; returns the status. */
    exit_status kill_and_reap() noexcept;

    /**
     * Closes the host's ends of the stdout and stderr pipes; pending reads complete with
     * `operation_aborted`. For when a grandchild of the plugin keeps the pipes open after
     * the plugin is gone. Call it on the pipes' strand.
     */
    void close_pipes() noexcept;

private:
    child_process(asio::any_io_executor ex, pid_t pid, int out_fd, int err_fd);
    std::optional<exit_status> reap(bool block);

    pid_t pid_;
    asio::readable_pipe stdout_;
    asio::readable_pipe stderr_;
    std::optional<asio::posix::stream_descriptor> pidfd_;
    mutable std::mutex mutex_;
    std::optional<exit_status> status_;
};
} // namespace rpcplugin::host
