#pragma once

#include <boost/container/small_vector.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>
#include <string_view>

namespace rpcplugin::grpc
{

/** The size of the gRPC message prefix: a compressed-flag byte and a big-endian 32-bit length. */
inline constexpr std::size_t prefix_size = 5;

/** One length-prefixed gRPC message, as read off a stream. */
struct frame
{
    /** The compressed flag: true when the payload is in the call's `grpc-encoding`. */
    bool compressed = false;
    /** The message bytes, still compressed when `compressed` is true. */
    std::string payload;
};

/**
 * Writes the 5-byte prefix of a message: the flag byte (0 or 1) then `length` in big-endian
 * order.
 */
void encode_prefix(unsigned char out[5], bool compressed, std::uint32_t length) noexcept;

/**
 * Returns `payload` with its 5-byte prefix in front, ready to send as DATA.
 *
 * @pre `payload.size()` fits in 32 bits.
 */
std::string encode_frame(bool compressed, std::string_view payload);

/**
 * Splits a byte stream into length-prefixed gRPC messages; the pure core of message reading.
 *
 * Bytes arrive in chunks of any size through `feed`; whole messages are queued and taken with
 * `pop`. A declared length above the maximum is refused from the prefix alone, before any of
 * its payload is buffered.
 *
 * @par Thread Safety
 * Distinct objects: safe. Shared objects: unsafe.
 */
class reader
{
public:
    /** Constructs a reader refusing messages whose declared length exceeds `max_message_size`. */
    explicit reader(std::size_t max_message_size);

    /**
     * Consume all of `data`. Completed messages are appended to the internal queue.
     *
     * Returns `errc::message_too_large` as soon as a prefix declares a length above the
     * maximum (checked before buffering any payload). A flag byte other than 0 or 1 is
     * `errc::bad_compression`, reported as soon as the flag byte arrives. After either error
     * the reader is failed: the rest of `data` is ignored, further calls return the same
     * error, and messages queued before the error can still be popped.
     */
    boost::system::error_code feed(std::span<const unsigned char> data);

    /** Returns true when at least one complete message is queued. */
    bool has_message() const noexcept;

    /**
     * Removes and returns the oldest queued message.
     *
     * @pre `has_message()`.
     */
    frame pop();

    /** Returns the number of complete messages queued. */
    std::size_t queued() const noexcept;

    /** Returns the bytes the reader holds: queued payloads plus the space taken by the
        received part of a partial message (which grows with what arrives, never from the
        declared length alone). */
    std::size_t buffered_bytes() const noexcept;

    /**
     * Returns true when no partial message is buffered: the stream is between messages.
     *
     * At end of stream, false means the peer sent a truncated message. A failed reader is
     * never idle.
     */
    bool idle() const noexcept;

    /** Returns the length declared by the most recent complete prefix, for error messages. */
    std::uint32_t last_declared_length() const noexcept;

    /** Returns the maximum message size given at construction. */
    std::size_t max_message_size() const noexcept;

    /** Returns the error that failed the reader, or a default (success) error code. */
    boost::system::error_code error() const noexcept;

private:
    boost::system::error_code fail(boost::system::error_code ec) noexcept;
    void append_partial(const unsigned char* p, std::size_t n);
    std::string take_partial();

    std::size_t max_;
    // A FIFO that holds one message without allocating (calls mostly queue one at a
    // time; std::deque allocated twice at construction): messages [head_, size()).
    boost::container::small_vector<frame, 1> queue_;
    std::size_t head_ = 0;
    std::size_t queued_bytes_ = 0;
    unsigned char prefix_[prefix_size] = {};
    std::size_t prefix_filled_ = 0;
    bool in_payload_ = false;
    std::uint32_t length_ = 0;
    frame current_;
    // The received part of a partial message, in chunks of at most partial_chunk bytes.
    std::vector<std::string> partial_;
    std::size_t partial_size_ = 0;
    std::size_t partial_capacity_ = 0;
    boost::system::error_code error_;
};

} // namespace rpcplugin::grpc
