#pragma once

/**
 * @file
 * The pure core of plugin.GRPCStdio: captured stdout/stderr bytes cut into chunks of at
 * most 1 KiB and held, with a bound per channel, until a host reads them.
 */

#include <cstddef>
#include <cstdint>
#include <deque>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>

namespace rpcplugin::plugin
{
/** A captured output channel; the values are `plugin.StdioData.Channel`'s. */
enum class stdio_channel
{
    stdout_channel = 1, ///< fd 1, `STDOUT`
    stderr_channel = 2, ///< fd 2, `STDERR`
};

/** `stdout` or `stderr`. */
std::string_view to_string(stdio_channel channel) noexcept;

/** Writes `to_string(channel)`. */
std::ostream& operator<<(std::ostream& os, stdio_channel channel);

/** One `plugin.StdioData` message: non-empty, at most `stdio_buffer::max_chunk` bytes. */
struct stdio_chunk
{
    stdio_channel channel = stdio_channel::stdout_channel; ///< STDOUT or STDERR.
    std::string data;                                      ///< The bytes written.

    /** Member-wise equality. */
    friend bool operator==(const stdio_chunk&, const stdio_chunk&) = default;
};

/** Writes `channel:"data"` (for test failures). */
std::ostream& operator<<(std::ostream& os, const stdio_chunk& chunk);

/**
 * Bytes of both channels in arrival order, as chunks of at most `max_chunk` bytes (Go
 * plugins send at most 1 KiB per StdioData). Consecutive appends to the same channel fill
 * the newest chunk before starting another, so line-sized writes travel in few messages;
 * a chunk never mixes channels, and `pop` returns chunks in the order their first byte
 * arrived.
 *
 * Each channel holds at most `limit` bytes. An append beyond it drops that channel's
 * oldest bytes (the newest output is the useful part of a log), counts them in
 * `dropped()`, and returns how many it dropped; the other channel is untouched.
 *
 * Owns no I/O and no clock. Not thread-safe.
 */
class stdio_buffer
{
public:
    /** The largest chunk `pop` returns (1 KiB, as go-plugin). */
    static constexpr std::size_t max_chunk = 1024;
    /** The default bound per channel (1 MiB). */
    static constexpr std::size_t default_limit = 1024 * 1024;

    /** A buffer holding at most `limit` bytes per channel; a `limit` of 0 is taken as 1. */
    explicit stdio_buffer(std::size_t limit = default_limit);

    /**
     * Appends `bytes` to `channel`, dropping the channel's oldest bytes beyond the limit.
     * Returns the number of bytes dropped by this call (possibly part of `bytes` itself
     * when it is longer than the limit: then only its last `limit` bytes are kept).
     */
    std::size_t append(stdio_channel channel, std::string_view bytes);

    /** Removes and returns the oldest chunk of either channel; `nullopt` when empty. */
    std::optional<stdio_chunk> pop();

    /** True when no bytes are held. */
    bool empty() const noexcept { return out_.bytes == 0 && err_.bytes == 0; }

    /** Bytes held for `channel`. */
    std::size_t size(stdio_channel channel) const noexcept { return queue(channel).bytes; }

    /** Bytes of `channel` dropped since construction. */
    std::uint64_t dropped(stdio_channel channel) const noexcept { return queue(channel).dropped; }

    /** The bound per channel. */
    std::size_t limit() const noexcept { return limit_; }

private:
    struct entry
    {
        std::uint64_t seq; // order of the chunk's first byte among all chunks
        std::string data;  // 1..max_chunk bytes
    };
    struct channel_queue
    {
        std::deque<entry> chunks;
        std::size_t bytes = 0;
        std::uint64_t dropped = 0;
    };

    channel_queue& queue(stdio_channel c) noexcept
    {
        return c == stdio_channel::stderr_channel ? err_ : out_;
    }
    const channel_queue& queue(stdio_channel c) const noexcept
    {
        return c == stdio_channel::stderr_channel ? err_ : out_;
    }
    std::size_t trim(channel_queue& q);

    std::size_t limit_;
    std::uint64_t next_seq_ = 0;
    channel_queue out_;
    channel_queue err_;
};
} // namespace rpcplugin::plugin
