#pragma once

/**
 * @file
 * Splits a byte stream (a plugin's stdout or stderr pipe) into lines, like Go's
 * `bufio.Scanner` as go-plugin uses it: the pure core under the pipe readers.
 */

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace rpcplugin::host
{
/**
 * Accumulates bytes and hands out complete lines. A line ends at `\n`; the `\n` and one
 * `\r` before it are removed. A line longer than `max_line` bytes is handed out in pieces
 * of `max_line` bytes (go-plugin splits over-long stderr lines the same way), so memory
 * stays bounded whatever the plugin writes. Bytes are never lost: what `append` took is
 * returned by `next_line` and, at the end of the stream, `finish`.
 *
 * @par Thread Safety
 * Not thread-safe (plain data).
 */
class line_buffer
{
public:
    /** go-plugin's stderr buffer size: `PluginLogBufferSize`, 64 KiB. */
    static constexpr std::size_t default_max_line = 64 * 1024;

    /** Lines longer than `max_line` bytes are cut into pieces of that size (0 counts as 1). */
    explicit line_buffer(std::size_t max_line = default_max_line) noexcept
        : max_line_(max_line == 0 ? 1 : max_line)
    {
    }

    /** Adds bytes read from the stream. */
    void append(std::string_view bytes) { pending_.append(bytes); }

    /** The next complete line (or over-long piece), or nothing until more bytes arrive. */
    std::optional<std::string> next_line();

    /** At the end of the stream: the unterminated rest, if any (then the buffer is empty). */
    std::optional<std::string> finish();

    /** Bytes held that do not yet form a line. */
    std::size_t pending() const noexcept { return pending_.size() - start_; }

private:
    std::string pending_;
    std::size_t start_ = 0; // consumed prefix of pending_, erased lazily
    std::size_t max_line_;
};
} // namespace rpcplugin::host
