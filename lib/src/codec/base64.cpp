#include "rpcplugin/codec/base64.hpp"

#include <array>
#include <cstddef>
#include <cstdint>

namespace rpcplugin::codec
{

namespace
{

constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::uint8_t invalid = 0xFF;

constexpr std::array<std::uint8_t, 256> make_decode_table() noexcept
{
    std::array<std::uint8_t, 256> table{};
    for (auto& entry : table)
    {
        entry = invalid;
    }
    for (std::size_t i = 0; i < 64; ++i)
    {
        table[static_cast<unsigned char>(alphabet[i])] = static_cast<std::uint8_t>(i);
    }
    return table;
}

constexpr std::array<std::uint8_t, 256> decode_table = make_decode_table();

inline std::uint32_t sextet(char c) noexcept
{
    return decode_table[static_cast<unsigned char>(c)];
}

} // namespace

std::string base64_encode(std::string_view bytes, bool pad)
{
    const std::size_t full = bytes.size() / 3;
    const std::size_t rest = bytes.size() % 3;
    std::size_t length = full * 4;
    if (rest != 0)
    {
        length += pad ? 4 : rest + 1;
    }

    std::string out(length, '\0');
    const auto* in = reinterpret_cast<const unsigned char*>(bytes.data());
    char* o = out.data();
    for (std::size_t i = 0; i < full; ++i, in += 3, o += 4)
    {
        const std::uint32_t v = (std::uint32_t{in[0]} << 16) | (std::uint32_t{in[1]} << 8) | in[2];
        o[0] = alphabet[(v >> 18) & 0x3F];
        o[1] = alphabet[(v >> 12) & 0x3F];
        o[2] = alphabet[(v >> 6) & 0x3F];
        o[3] = alphabet[v & 0x3F];
    }
    if (rest == 1)
    {
        const std::uint32_t v = std::uint32_t{in[0]} << 16;
        o[0] = alphabet[(v >> 18) & 0x3F];
        o[1] = alphabet[(v >> 12) & 0x3F];
        if (pad)
        {
            o[2] = '=';
            o[3] = '=';
        }
    }
    else if (rest == 2)
    {
        const std::uint32_t v = (std::uint32_t{in[0]} << 16) | (std::uint32_t{in[1]} << 8);
        o[0] = alphabet[(v >> 18) & 0x3F];
        o[1] = alphabet[(v >> 12) & 0x3F];
        o[2] = alphabet[(v >> 6) & 0x3F];
        if (pad)
        {
            o[3] = '=';
        }
    }
    return out;
}

std::optional<std::string> base64_decode(std::string_view text)
{
    // Strip padding; padded input must come in whole quanta.
    if (!text.empty() && text.back() == '=')
    {
        if (text.size() % 4 != 0)
        {
            return std::nullopt;
        }
        text.remove_suffix(1);
        if (!text.empty() && text.back() == '=')
        {
            text.remove_suffix(1);
        }
    }
    const std::size_t full = text.size() / 4;
    const std::size_t rest = text.size() % 4;
    if (rest == 1)
    {
        return std::nullopt;
    }

    std::string out(full * 3 + (rest == 0 ? 0 : rest - 1), '\0');
    const char* in = text.data();
    char* o = out.data();
    for (std::size_t i = 0; i < full; ++i, in += 4, o += 3)
    {
        const std::uint32_t a = sextet(in[0]);
        const std::uint32_t b = sextet(in[1]);
        const std::uint32_t c = sextet(in[2]);
        const std::uint32_t d = sextet(in[3]);
        // Any invalid entry has bit 7 set; one test covers all four.
        if (((a | b | c | d) & 0x80) != 0)
        {
            return std::nullopt;
        }
        const std::uint32_t v = (a << 18) | (b << 12) | (c << 6) | d;
        o[0] = static_cast<char>((v >> 16) & 0xFF);
        o[1] = static_cast<char>((v >> 8) & 0xFF);
        o[2] = static_cast<char>(v & 0xFF);
    }
    if (rest != 0)
    {
        const std::uint32_t a = sextet(in[0]);
        const std::uint32_t b = sextet(in[1]);
        const std::uint32_t c = rest == 3 ? sextet(in[2]) : 0;
        if (((a | b | c) & 0x80) != 0)
        {
            return std::nullopt;
        }
        const std::uint32_t v = (a << 18) | (b << 12) | (c << 6);
        o[0] = static_cast<char>((v >> 16) & 0xFF);
        if (rest == 3)
        {
            o[1] = static_cast<char>((v >> 8) & 0xFF);
        }
    }
    return out;
}

} // namespace rpcplugin::codec
