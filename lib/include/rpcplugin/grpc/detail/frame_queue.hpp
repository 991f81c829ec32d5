#pragma once

/**
 * @file
 * Outbound length-prefixed messages of one call, drained into HTTP/2 DATA frames.
 * Shared by the server and client sides of a call.
 */

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <deque>
#include <span>
#include <string>

namespace rpcplugin::grpc::detail
{
/** A FIFO of framed messages read out in arbitrary chunks. Not thread-safe. */
class frame_queue
{
public:
    /** Appends one framed message (prefix + payload). */
    void push(std::string framed)
    {
        bytes_ += framed.size();
        frames_.push_back(std::move(framed));
    }

    /** Copies up to `dst.size()` queued bytes into `dst`; returns how many. */
    std::size_t drain(std::span<unsigned char> dst) noexcept
    {
        std::size_t n = 0;
        while (n < dst.size() && !frames_.empty())
        {
            auto& front = frames_.front();
            std::size_t take = std::min(dst.size() - n, front.size() - offset_);
            std::memcpy(dst.data() + n, front.data() + offset_, take);
            n += take;
            offset_ += take;
            if (offset_ == front.size())
            {
                frames_.pop_front();
                offset_ = 0;
            }
        }
        bytes_ -= n;
        return n;
    }

    /** Drops everything queued. */
    void clear() noexcept
    {
        frames_.clear();
        offset_ = 0;
        bytes_ = 0;
    }

    /** True when nothing is queued. */
    bool empty() const noexcept { return frames_.empty(); }
    /** Bytes queued and not yet drained. */
    std::size_t bytes() const noexcept { return bytes_; }

private:
    std::deque<std::string> frames_;
    std::size_t offset_ = 0;
    std::size_t bytes_ = 0;
};
} // namespace rpcplugin::grpc::detail
