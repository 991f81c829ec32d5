#pragma once

/**
 * @file
 * Outbound length-prefixed messages of one call, drained into HTTP/2 DATA frames.
 * Shared by the server and client sides of a call.
 */

#include "rpcplugin/grpc/framing.hpp"

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <cstring>
#include <memory>
#include <span>
#include <string_view>

namespace rpcplugin::grpc::detail
{
/**
 * A FIFO of framed messages (prefix + payload) in one reused buffer, read out in arbitrary
 * chunks. Messages are serialized straight into it (`append`), so queueing a message
 * costs no allocation of its own and no copy besides the serialization. The buffer is a
 * bip buffer: when the end is full, messages continue at the drained front, so a stream
 * that keeps the queue near its high-water mark neither grows it nor moves bytes around;
 * it grows only when neither end has room, and an empty buffer larger than 512 KiB is
 * released. Not thread-safe.
 */
class frame_queue
{
public:
    frame_queue() = default;
    frame_queue(const frame_queue&) = delete;
    frame_queue& operator=(const frame_queue&) = delete;

    /**
     * Appends the prefix of a message of `payload_size` bytes and returns the room for
     * its payload, which the caller fills completely before the next call on the queue.
     *
     * @pre `payload_size` fits in 32 bits.
     */
    std::span<unsigned char> append(bool compressed, std::size_t payload_size)
    {
        assert(payload_size <= UINT32_MAX);
        unsigned char* p = room(prefix_size + payload_size);
        encode_prefix(p, compressed, static_cast<std::uint32_t>(payload_size));
        return {p + prefix_size, payload_size};
    }

    /** Appends a message: the prefix, then a copy of `payload`. */
    void push(bool compressed, std::string_view payload)
    {
        auto r = append(compressed, payload.size());
        if (!payload.empty())
            std::memcpy(r.data(), payload.data(), payload.size());
    }

    /** Copies up to `dst.size()` queued bytes into `dst`; returns how many. */
    std::size_t drain(std::span<unsigned char> dst) noexcept
    {
        std::size_t n = 0;
        while (n < dst.size() && !empty())
        {
            const std::size_t end = wrapped_ ? end_ : tail_;
            const std::size_t take = std::min(dst.size() - n, end - head_);
            std::memcpy(dst.data() + n, data_.get() + head_, take);
            n += take;
            head_ += take;
            if (head_ == end && wrapped_)
            {
                wrapped_ = false; // the rest starts at the front
                head_ = 0;
            }
        }
        if (empty())
        {
            head_ = tail_ = 0;
            if (capacity_ > keep_capacity)
                release();
        }
        return n;
    }

    /** Drops everything queued and frees the buffer. */
    void clear() noexcept
    {
        head_ = tail_ = 0;
        wrapped_ = false;
        release();
    }

    /** True when nothing is queued. */
    bool empty() const noexcept { return !wrapped_ && head_ == tail_; }
    /** Bytes queued and not yet drained. */
    std::size_t bytes() const noexcept { return wrapped_ ? end_ - head_ + tail_ : tail_ - head_; }

private:
    /** An empty buffer larger than this is freed rather than kept for the next message. */
    static constexpr std::size_t keep_capacity = 512 * 1024;

    // Queued bytes are [head_, tail_), or when wrapped [head_, end_) then [0, tail_).
    unsigned char* room(std::size_t need)
    {
        if (!wrapped_)
        {
            if (capacity_ - tail_ >= need)
                return take(need);
            if (head_ >= need) // the drained front has room: continue there
            {
                wrapped_ = true;
                end_ = tail_;
                tail_ = 0;
                return take(need);
            }
        }
        else if (head_ - tail_ >= need)
            return take(need);
        grow(need);
        return take(need);
    }

    unsigned char* take(std::size_t need) noexcept
    {
        unsigned char* p = data_.get() + tail_;
        tail_ += need;
        return p;
    }

    // Moves the queued bytes, in order, to the front of a larger buffer.
    void grow(std::size_t need)
    {
        const std::size_t used = bytes();
        const std::size_t cap = std::max({used + need, capacity_ * 2, std::size_t{256}});
        std::unique_ptr<unsigned char[]> grown(new unsigned char[cap]);
        std::size_t n = 0;
        if (wrapped_)
        {
            std::memcpy(grown.get(), data_.get() + head_, end_ - head_);
            n = end_ - head_;
            std::memcpy(grown.get() + n, data_.get(), tail_);
            n += tail_;
        }
        else if (used > 0)
        {
            std::memcpy(grown.get(), data_.get() + head_, used);
            n = used;
        }
        data_ = std::move(grown);
        capacity_ = cap;
        head_ = 0;
        tail_ = n;
        wrapped_ = false;
    }

    void release() noexcept
    {
        data_.reset();
        capacity_ = 0;
    }

    std::unique_ptr<unsigned char[]> data_;
    std::size_t capacity_ = 0;
    std::size_t head_ = 0;
    std::size_t tail_ = 0;
    std::size_t end_ = 0; // end of the first part while wrapped
    bool wrapped_ = false;
};
} // namespace rpcplugin::grpc::detail
