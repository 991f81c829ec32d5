#pragma once

/**
 * @file
 * plugin.GRPCStdio on the plugin side: captured output waits in a bounded buffer and is
 * streamed to the host by `StreamStdio`.
 */

#include "rpcplugin/asio.hpp"
#include "rpcplugin/grpc/server.hpp"
#include "rpcplugin/log.hpp"
#include "rpcplugin/plugin/stdio_buffer.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string_view>

namespace rpcplugin::plugin
{
/**
 * The host's end of the captured stdout and stderr. A producer (`stdio_capture`) calls
 * `append`; each `plugin.GRPCStdio/StreamStdio` call sends the buffered chunks
 * (`StdioData`, at most 1 KiB, never empty) as they come, and ends with OK once `close()`
 * was called and the buffer is empty, or when the host cancels it. Several streams share
 * one buffer: each chunk goes to one of them (as in go-plugin). Without a stream the
 * buffer keeps the newest `limit` bytes per channel.
 *
 * Dropped output is counted and logged on `log` (at `warn`): once when a channel starts
 * dropping, and the count when a stream next delivers or at `close`/`report_undelivered`.
 * `log` must not write into the captured descriptors (the runtime's logger writes to a
 * duplicate of the original stderr).
 *
 * @par Thread Safety
 * Safe: `append`, `close`, `pending` and `report_undelivered` may be called from any
 * thread; streams run on their connection's strand.
 */
class stdio_service
{
public:
    /** A service holding at most `limit` bytes per channel, logging on `log` (borrowed). */
    stdio_service(std::size_t limit, const logger& log);
    ~stdio_service();

    stdio_service(const stdio_service&) = delete;
    stdio_service& operator=(const stdio_service&) = delete;

    /**
     * Adds output of `channel` and wakes the streams. After `close()` output is still
     * buffered: a stream that has not ended yet may send it, otherwise
     * `report_undelivered` counts it.
     */
    void append(stdio_channel channel, std::string_view bytes);

    /** Streams send what is buffered, then end with OK; new streams do the same. */
    void close();

    /** Bytes still buffered (not yet sent to a host). */
    std::size_t pending() const;

    /**
     * Takes the oldest buffered chunk, as a stream would (for a program that wants to
     * handle captured output itself, and for tests); `nullopt` when empty.
     */
    std::optional<stdio_chunk> try_pop();

    /**
     * Logs, at `warn`, the dropped bytes not reported yet and the bytes still buffered
     * (output that never reached a host), then discards the buffer.
     */
    void report_undelivered();

    /** Registers `/plugin.GRPCStdio/StreamStdio` on `srv`; this object must outlive it. */
    void add_to(grpc::server& srv);

    /** The logger given to the constructor. */
    const logger& log() const noexcept { return log_; }

private:
    asio::awaitable<grpc::status> stream(grpc::server_context& ctx);
    void report_drops();

    const logger& log_;
    mutable std::mutex mutex_;
    stdio_buffer buffer_;
    bool closed_ = false;
    std::uint64_t unreported_[2] = {0, 0}; // dropped bytes per channel not yet logged
    std::uint64_t next_waker_ = 0;
    std::map<std::uint64_t, std::function<void()>> wakers_; // one per open stream
};
} // namespace rpcplugin::plugin
