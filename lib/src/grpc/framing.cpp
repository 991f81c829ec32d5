#include "rpcplugin/grpc/framing.hpp"

#include "rpcplugin/grpc/error.hpp"

#include <algorithm>
#include <cassert>
#include <utility>

namespace rpcplugin::grpc
{

namespace
{

constexpr bool valid_flag(unsigned char flag) noexcept
{
    return flag <= 1;
}

constexpr std::uint32_t read_length(const unsigned char* prefix) noexcept
{
    return (std::uint32_t{prefix[1]} << 24) | (std::uint32_t{prefix[2]} << 16) |
           (std::uint32_t{prefix[3]} << 8) | std::uint32_t{prefix[4]};
}

} // namespace

void encode_prefix(unsigned char out[5], bool compressed, std::uint32_t length) noexcept
{
    out[0] = compressed ? 1 : 0;
    out[1] = static_cast<unsigned char>((length >> 24) & 0xFF);
    out[2] = static_cast<unsigned char>((length >> 16) & 0xFF);
    out[3] = static_cast<unsigned char>((length >> 8) & 0xFF);
    out[4] = static_cast<unsigned char>(length & 0xFF);
}

std::string encode_frame(bool compressed, std::string_view payload)
{
    assert(payload.size() <= UINT32_MAX);
    std::string out(prefix_size + payload.size(), '\0');
    encode_prefix(reinterpret_cast<unsigned char*>(out.data()), compressed,
                  static_cast<std::uint32_t>(payload.size()));
    std::copy(payload.begin(), payload.end(), out.begin() + prefix_size);
    return out;
}

reader::reader(std::size_t max_message_size)
    : max_(max_message_size)
{
}

boost::system::error_code reader::fail(boost::system::error_code ec) noexcept
{
    error_ = ec;
    in_payload_ = false;
    current_ = frame{};
    partial_.clear();
    partial_size_ = partial_capacity_ = 0;
    return ec;
}

namespace
{
// A partial message is kept in chunks of this size: its memory follows what arrived (a
// length prefix alone reserves nothing) without the copies of a growing string.
constexpr std::size_t partial_chunk = 16 * 1024;
} // namespace

void reader::append_partial(const unsigned char* p, std::size_t n)
{
    while (n > 0)
    {
        if (partial_.empty() || partial_.back().size() == partial_.back().capacity())
        {
            partial_.emplace_back();
            partial_.back().reserve(std::min(partial_chunk, length_ - partial_size_));
            partial_capacity_ += partial_.back().capacity();
        }
        std::string& c = partial_.back();
        std::size_t take = std::min(n, c.capacity() - c.size());
        c.append(reinterpret_cast<const char*>(p), take);
        partial_size_ += take;
        p += take;
        n -= take;
    }
}

std::string reader::take_partial()
{
    std::string out;
    if (partial_.size() == 1)
        out = std::move(partial_.front());
    else
    {
        out.reserve(partial_size_);
        for (const auto& c : partial_)
            out.append(c);
    }
    partial_.clear();
    partial_size_ = partial_capacity_ = 0;
    return out;
}

boost::system::error_code reader::feed(std::span<const unsigned char> data)
{
    if (error_)
    {
        return error_;
    }

    const unsigned char* p = data.data();
    std::size_t n = data.size();
    while (n > 0)
    {
        if (in_payload_)
        {
            const std::size_t missing = length_ - partial_size_;
            const std::size_t take = std::min(missing, n);
            append_partial(p, take);
            p += take;
            n -= take;
            if (take == missing)
            {
                current_.payload = take_partial();
                queued_bytes_ += current_.payload.size();
                queue_.push_back(std::move(current_));
                current_ = frame{};
                in_payload_ = false;
            }
            continue;
        }

        // Read a prefix: straight from the chunk when it is whole, else through prefix_.
        const unsigned char* prefix = nullptr;
        if (prefix_filled_ == 0 && n >= prefix_size)
        {
            prefix = p;
            p += prefix_size;
            n -= prefix_size;
        }
        else
        {
            if (prefix_filled_ == 0 && !valid_flag(p[0]))
            {
                return fail(make_error_code(errc::bad_compression));
            }
            const std::size_t take = std::min(prefix_size - prefix_filled_, n);
            std::copy_n(p, take, prefix_ + prefix_filled_);
            prefix_filled_ += take;
            p += take;
            n -= take;
            if (prefix_filled_ < prefix_size)
            {
                break;
            }
            prefix_filled_ = 0;
            prefix = prefix_;
        }

        if (!valid_flag(prefix[0]))
        {
            return fail(make_error_code(errc::bad_compression));
        }
        const bool compressed = prefix[0] == 1;
        length_ = read_length(prefix);
        if (length_ > max_)
        {
            return fail(make_error_code(errc::message_too_large));
        }

        if (n >= length_)
        {
            // The whole message is in this chunk: copy it once.
            queued_bytes_ += length_;
            queue_.push_back(
                frame{compressed, std::string(reinterpret_cast<const char*>(p), length_)});
            p += length_;
            n -= length_;
            continue;
        }
        in_payload_ = true;
        current_.compressed = compressed;
    }
    return {};
}

bool reader::has_message() const noexcept
{
    return head_ < queue_.size();
}

frame reader::pop()
{
    assert(has_message());
    frame f = std::move(queue_[head_++]);
    queued_bytes_ -= f.payload.size();
    if (head_ == queue_.size())
    {
        queue_.clear();
        head_ = 0;
    }
    else if (head_ >= 16 && head_ * 2 >= queue_.size())
    {
        queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(head_));
        head_ = 0;
    }
    return f;
}

std::size_t reader::queued() const noexcept
{
    return queue_.size() - head_;
}

std::size_t reader::buffered_bytes() const noexcept
{
    return queued_bytes_ + partial_capacity_;
}

bool reader::idle() const noexcept
{
    return !error_ && !in_payload_ && prefix_filled_ == 0;
}

std::uint32_t reader::last_declared_length() const noexcept
{
    return length_;
}

std::size_t reader::max_message_size() const noexcept
{
    return max_;
}

boost::system::error_code reader::error() const noexcept
{
    return error_;
}

} // namespace rpcplugin::grpc
