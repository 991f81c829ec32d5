#include "rpcplugin/wire/json.hpp"

#include <cstddef>

namespace rpcplugin::wire
{
namespace
{
constexpr char hex_digits[] = "0123456789abcdef";

// Length of the valid UTF-8 sequence starting at text[i], or 0 when the byte at i does not
// start one (Go's utf8.DecodeRuneInString returning RuneError with size 1).
std::size_t utf8_sequence_length(std::string_view text, std::size_t i) noexcept
{
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char b0 = byte(i);
    std::size_t length = 0;
    unsigned char lo = 0x80;
    unsigned char hi = 0xBF;
    if (b0 >= 0xC2 && b0 <= 0xDF)
        length = 2;
    else if (b0 >= 0xE0 && b0 <= 0xEF)
    {
        length = 3;
        if (b0 == 0xE0)
            lo = 0xA0; // overlong
        else if (b0 == 0xED)
            hi = 0x9F; // surrogates
    }
    else if (b0 >= 0xF0 && b0 <= 0xF4)
    {
        length = 4;
        if (b0 == 0xF0)
            lo = 0x90; // overlong
        else if (b0 == 0xF4)
            hi = 0x8F; // above U+10FFFF
    }
    else
        return 0;
    if (text.size() - i < length)
        return 0;
    if (byte(i + 1) < lo || byte(i + 1) > hi)
        return 0;
    for (std::size_t k = 2; k < length; ++k)
    {
        if (byte(i + k) < 0x80 || byte(i + k) > 0xBF)
            return 0;
    }
    return length;
}
} // namespace

void append_json_string(std::string& out, std::string_view text)
{
    out.reserve(out.size() + text.size() + 2);
    out += '"';
    std::size_t i = 0;
    while (i < text.size())
    {
        const auto b = static_cast<unsigned char>(text[i]);
        if (b < 0x80)
        {
            switch (b)
            {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
                break;
            case '\b':
                out += "\\b";
                break;
            case '\f':
                out += "\\f";
                break;
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            case '<':
            case '>':
            case '&':
            default:
                if (b < 0x20 || b == '<' || b == '>' || b == '&')
                {
                    out += "\\u00";
                    out += hex_digits[b >> 4];
                    out += hex_digits[b & 0xF];
                }
                else
                    out += static_cast<char>(b);
                break;
            }
            ++i;
            continue;
        }
        const std::size_t length = utf8_sequence_length(text, i);
        if (length == 0)
        {
            out += "\\ufffd";
            ++i;
            continue;
        }
        // U+2028 and U+2029 are E2 80 A8 and E2 80 A9.
        if (length == 3 && b == 0xE2 && static_cast<unsigned char>(text[i + 1]) == 0x80 &&
            (static_cast<unsigned char>(text[i + 2]) & 0xFE) == 0xA8)
        {
            out += "\\u202";
            out += hex_digits[static_cast<unsigned char>(text[i + 2]) & 0xF];
        }
        else
            out.append(text.substr(i, length));
        i += length;
    }
    out += '"';
}

std::string json_string(std::string_view text)
{
    std::string out;
    append_json_string(out, text);
    return out;
}

std::string go_quote(std::string_view text)
{
    std::string out = "\"";
    for (char ch : text)
    {
        const auto c = static_cast<unsigned char>(ch);
        switch (c)
        {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\a':
            out += "\\a";
            break;
        case '\b':
            out += "\\b";
            break;
        case '\f':
            out += "\\f";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\v':
            out += "\\v";
            break;
        default:
            if (c < 0x20 || c == 0x7F)
            {
                out += "\\x";
                out += hex_digits[c >> 4];
                out += hex_digits[c & 0xF];
            }
            else
                out += ch;
        }
    }
    out += '"';
    return out;
}
} // namespace rpcplugin::wire
