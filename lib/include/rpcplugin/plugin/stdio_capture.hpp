#pragma once

/**
 * @file
 * Descriptor-level capture of the process's stdout and stderr for plugin.GRPCStdio.
 */

#include "rpcplugin/plugin/stdio_service.hpp"

#include <boost/system/result.hpp>

#include <memory>
#include <thread>

namespace rpcplugin::plugin
{
/**
 * Replaces file descriptors 1 and 2 with the write ends of two pipes, so that everything
 * the process writes there (printf, std::cout, write(2), and child processes that inherit
 * the descriptors) lands in a `stdio_service` instead of the host's pipes. A thread of its
 * own reads the pipes with an Asio driver (`posix::stream_descriptor`), so a writer on any
 * thread, including the one serving gRPC, never waits for a host: the pipes are emptied
 * into the service's bounded buffer as fast as they fill.
 *
 * Three steps, so that the handshake line can go to the real stdout in between:
 * `prepare()` makes the pipes and keeps duplicates of the original descriptors (all
 * close-on-exec), `activate()` swaps descriptors 1 and 2 and starts the reader, `stop()`
 * restores the originals, reads what the pipes still hold, joins the reader and closes
 * every descriptor it made. C stdio `stdout` is fully buffered when it is a pipe, so a
 * `printf` without `fflush` reaches the service only at the next flush; `sync()` and
 * `stop()` flush `stdout`, `stderr`, `std::cout` and `std::cerr` first.
 *
 * @par Thread Safety
 * `prepare`, `activate`, `sync` and `stop` must not run concurrently with each other.
 * They change process-wide descriptors: one capture per process.
 */
class stdio_capture
{
public:
    /** A capture feeding `sink` (borrowed; it must outlive this object). */
    explicit stdio_capture(stdio_service& sink);
    /** Calls `stop()`. */
    ~stdio_capture();

    stdio_capture(const stdio_capture&) = delete;
    stdio_capture& operator=(const stdio_capture&) = delete;

    /**
     * Creates the pipes and duplicates of descriptors 1 and 2. Changes nothing visible.
     * Fails with the `errno` of `pipe2` or `fcntl` (then nothing is left open).
     */
    boost::system::result<void> prepare();

    /** Points descriptors 1 and 2 at the pipes and starts the reader. Needs `prepare()`. */
    boost::system::result<void> activate();

    /**
     * Flushes the C and C++ standard streams and waits until the reader has moved what
     * the pipes hold into the sink. No-op when not active.
     */
    void sync();

    /**
     * Restores descriptors 1 and 2, moves what the pipes still hold into the sink, stops
     * the reader and closes the pipes. Idempotent. Output written to the pipes later by a
     * child process that inherited them is lost (the child gets EPIPE).
     */
    void stop() noexcept;

    /** True between `activate()` and `stop()`. */
    bool active() const noexcept { return active_; }

private:
    struct reader;

    stdio_service& sink_;
    int saved_[2] = {-1, -1};      // duplicates of the original 1 and 2
    int pipe_read_[2] = {-1, -1};  // read ends, close-on-exec, non-blocking
    int pipe_write_[2] = {-1, -1}; // write ends until activate() moves them onto 1 and 2
    std::unique_ptr<reader> reader_;
    std::thread thread_;
    bool active_ = false;
};
} // namespace rpcplugin::plugin
