#include "rpcplugin/grpc/percent_encoding.hpp"

#include <cstddef>

namespace rpcplugin::grpc
{

namespace
{

constexpr char hex_digits[] = "0123456789ABCDEF";

constexpr bool needs_encoding(unsigned char c) noexcept
{
    return c < 0x20 || c > 0x7E || c == '%';
}

constexpr int hex_value(char c) noexcept
{
    if (c >= '0' && c <= '9')
    {
        return c - '0';
    }
    if (c >= 'A' && c <= 'F')
    {
        return c - 'A' + 10;
    }
    if (c >= 'a' && c <= 'f')
    {
        return c - 'a' + 10;
    }
    return -1;
}

} // namespace

std::string percent_encode(std::string_view text)
{
    std::size_t extra = 0;
    for (const char c : text)
    {
        if (needs_encoding(static_cast<unsigned char>(c)))
        {
            extra += 2;
        }
    }
    if (extra == 0)
    {
        return std::string(text);
    }

    std::string out;
    out.reserve(text.size() + extra);
    for (const char c : text)
    {
        const auto byte = static_cast<unsigned char>(c);
        if (needs_encoding(byte))
        {
            out.push_back('%');
            out.push_back(hex_digits[byte >> 4]);
            out.push_back(hex_digits[byte & 0x0F]);
        }
        else
        {
            out.push_back(c);
        }
    }
    return out;
}

std::string percent_decode(std::string_view text)
{
    if (text.find('%') == std::string_view::npos)
    {
        return std::string(text);
    }

    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i)
    {
        const char c = text[i];
        if (c == '%' && text.size() - i >= 3)
        {
            const int hi = hex_value(text[i + 1]);
            const int lo = hex_value(text[i + 2]);
            if (hi >= 0 && lo >= 0)
            {
                out.push_back(static_cast<char>((hi << 4) | lo));
                i += 2;
                continue;
            }
        }
        out.push_back(c);
    }
    return out;
}

} // namespace rpcplugin::grpc
