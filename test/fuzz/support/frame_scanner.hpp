#pragma once

/**
 * @file
 * Splits an HTTP/2 byte stream (one direction of a connection) into frame headers, fed
 * in pieces of any size, and records what the harness invariants need: the type and
 * stream of each frame and the error codes of RST_STREAM and GOAWAY.
 */

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

namespace rpcplugin::fuzz
{
struct scanned_frame
{
    std::uint8_t type = 0;
    std::uint8_t flags = 0;
    std::uint32_t stream_id = 0;
    /** RST_STREAM and GOAWAY (0 when the payload is too short). */
    std::uint32_t error_code = 0;
};

class frame_scanner
{
public:
    /** `skip`: bytes before the first frame (24 for the client preface). */
    explicit frame_scanner(std::size_t skip = 0) noexcept
        : skip_(skip)
    {
    }

    void feed(std::span<const unsigned char> data)
    {
        for (unsigned char b : data)
            step(b);
    }

    const std::vector<scanned_frame>& frames() const noexcept { return frames_; }

    bool saw(std::uint8_t type) const noexcept
    {
        for (const auto& f : frames_)
            if (f.type == type)
                return true;
        return false;
    }

private:
    void step(unsigned char b)
    {
        if (skip_ > 0)
        {
            --skip_;
            return;
        }
        if (header_filled_ < 9)
        {
            header_[header_filled_++] = b;
            if (header_filled_ == 9)
            {
                remaining_ =
                    std::size_t(header_[0]) << 16 | std::size_t(header_[1]) << 8 | header_[2];
                current_ = {};
                current_.type = header_[3];
                current_.flags = header_[4];
                current_.stream_id =
                    (std::uint32_t(header_[5]) << 24 | std::uint32_t(header_[6]) << 16 |
                     std::uint32_t(header_[7]) << 8 | header_[8]) &
                    0x7fffffffu;
                payload_pos_ = 0;
                if (remaining_ == 0)
                    finish();
            }
            return;
        }
        // The error code: bytes 0-3 of RST_STREAM, bytes 4-7 of GOAWAY.
        std::size_t at = current_.type == 7 ? payload_pos_ - 4 : payload_pos_;
        if ((current_.type == 3 || current_.type == 7) &&
            payload_pos_ >= (current_.type == 7 ? 4u : 0u) && at < 4)
            current_.error_code = current_.error_code << 8 | b;
        ++payload_pos_;
        if (--remaining_ == 0)
            finish();
    }

    void finish()
    {
        frames_.push_back(current_);
        header_filled_ = 0;
    }

    std::size_t skip_;
    unsigned char header_[9] = {};
    std::size_t header_filled_ = 0;
    std::size_t remaining_ = 0;
    std::size_t payload_pos_ = 0;
    scanned_frame current_;
    std::vector<scanned_frame> frames_;
};
} // namespace rpcplugin::fuzz
