#pragma once

/**
 * @file
 * Reads structured values from a fuzzer's byte string, front to back. Running out of
 * bytes yields zeros and empty strings, so every input is a valid (if short) script.
 * A small stand-in for libFuzzer's FuzzedDataProvider that g++ builds can use too.
 */

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace rpcplugin::fuzz
{
class input
{
public:
    explicit input(std::span<const std::uint8_t> data) noexcept
        : data_(data)
    {
    }

    bool empty() const noexcept { return pos_ >= data_.size(); }
    std::size_t remaining() const noexcept { return empty() ? 0 : data_.size() - pos_; }

    std::uint8_t u8() noexcept { return empty() ? 0 : data_[pos_++]; }

    /** Big-endian, so that seeds written by hand read naturally. */
    std::uint16_t u16() noexcept
    {
        std::uint16_t hi = u8();
        return static_cast<std::uint16_t>(hi << 8 | u8());
    }

    std::uint32_t u32() noexcept
    {
        std::uint32_t hi = u16();
        return hi << 16 | u16();
    }

    bool flag() noexcept { return (u8() & 1) != 0; }

    /** A value in [0, n) (n > 0) from one byte, or two bytes when n > 256. */
    std::size_t pick(std::size_t n) noexcept
    {
        if (n <= 256)
            return u8() % n;
        return u16() % n;
    }

    /** `n` bytes (fewer when the input ends). */
    std::string bytes(std::size_t n)
    {
        n = n < remaining() ? n : remaining();
        std::string out(reinterpret_cast<const char*>(data_.data() + pos_), n);
        pos_ += n;
        return out;
    }

    /** A string prefixed by its one-byte length. */
    std::string short_string() { return bytes(u8()); }

    /** A string prefixed by its two-byte length. */
    std::string long_string() { return bytes(u16()); }

    /** Everything left. */
    std::string rest() { return bytes(remaining()); }

private:
    std::span<const std::uint8_t> data_;
    std::size_t pos_ = 0;
};
} // namespace rpcplugin::fuzz
