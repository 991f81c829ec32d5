#pragma once

/**
 * @file
 * Frame boundaries in the bytes a server receives, so that the session can look at each
 * frame's header (and stop before it) before libnghttp2 processes the frame.
 */

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace rpcplugin::http2::detail
{
/** A parsed 9-byte HTTP/2 frame header. */
struct frame_header
{
    std::uint32_t length = 0;
    std::uint8_t type = 0;
    std::uint8_t flags = 0;
    std::int32_t stream_id = 0;

    bool has(std::uint8_t flag) const noexcept { return (flags & flag) != 0; }
};

/**
 * Splits a server's input (the 24-byte client preface, then frames) into pieces: bytes that
 * may pass to nghttp2 as they are (preface, frame payloads), and frame headers, which are
 * held back until complete so the caller can inspect them first.
 *
 * Usage: while input remains, pass `passthrough()` bytes on (`passed(n)`); otherwise
 * `collect` header bytes; once `header_ready()`, inspect `header()`, hand `header_bytes()`
 * on and call `header_passed()`.
 *
 * A pure state machine: no I/O, no clock. Not thread-safe.
 */
class frame_splitter
{
public:
    /** `preface` bytes precede the first frame (24 for a server, 0 for a client). */
    explicit frame_splitter(std::size_t preface = 24) noexcept
        : passthrough_(preface)
    {
    }

    /** Bytes that may pass on unexamined before the next frame header. */
    std::size_t passthrough() const noexcept { return passthrough_; }

    /** `n` (at most `passthrough()`) bytes were passed on. */
    void passed(std::size_t n) noexcept { passthrough_ -= std::min(n, passthrough_); }

    /** Takes header bytes from the front of `data` (only when `passthrough()` is 0);
        returns how many it took. */
    std::size_t collect(std::span<const unsigned char> data) noexcept
    {
        if (passthrough_ > 0)
            return 0;
        std::size_t n = std::min(data.size(), raw_.size() - have_);
        std::copy_n(data.begin(), n, raw_.begin() + static_cast<std::ptrdiff_t>(have_));
        have_ += n;
        if (have_ == raw_.size())
            parse();
        return n;
    }

    /** True when a complete frame header is held. */
    bool header_ready() const noexcept { return have_ == raw_.size(); }

    /** The held header (valid while `header_ready()`). */
    const frame_header& header() const noexcept { return header_; }

    /** The held header's 9 bytes, as received. */
    std::span<const unsigned char> header_bytes() const noexcept { return {raw_.data(), have_}; }

    /** The held header was passed on: its payload follows. */
    void header_passed() noexcept
    {
        passthrough_ = header_.length;
        have_ = 0;
    }

private:
    void parse() noexcept
    {
        header_.length = (std::uint32_t{raw_[0]} << 16) | (std::uint32_t{raw_[1]} << 8) | raw_[2];
        header_.type = raw_[3];
        header_.flags = raw_[4];
        header_.stream_id = static_cast<std::int32_t>(((std::uint32_t{raw_[5]} & 0x7f) << 24) |
                                                      (std::uint32_t{raw_[6]} << 16) |
                                                      (std::uint32_t{raw_[7]} << 8) | raw_[8]);
    }

    std::size_t passthrough_;
    std::array<unsigned char, 9> raw_{};
    std::size_t have_ = 0;
    frame_header header_;
};
} // namespace rpcplugin::http2::detail
