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

// An HTTP/2 field value must not start or end with whitespace (RFC 9113 section 8.2.1):
// a client treats such a response as malformed and resets the stream, losing the status.
// HTAB is below 0x20 already; a space at either end is escaped as well.
constexpr bool needs_encoding(std::string_view text, std::size_t i) noexcept
{
    const auto c = static_cast<unsigned char>(text[i]);
    return needs_encoding(c) || (c == ' ' && (i == 0 || i + 1 == text.size()));
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
    for (std::size_t i = 0; i < text.size(); ++i)
    {
        if (needs_encoding(text, i))
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
    for (std::size_t i = 0; i < text.size(); ++i)
    {
        const auto byte = static_cast<unsigned char>(text[i]);
        if (needs_encoding(text, i))
        {
            out.push_back('%');
            out.push_back(hex_digits[byte >> 4]);
            out.push_back(hex_digits[byte & 0x0F]);
        }
        else
        {
            out.push_back(text[i]);
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
