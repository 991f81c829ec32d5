#include "rpcplugin/wire/json.hpp"

#include <cstddef>
#include <cstdint>
#include <utility>

namespace rpcplugin::wire
{
namespace
{
constexpr char hex_digits[] = "0123456789abcdef";

// Decodes the UTF-8 sequence at text[i]: the code point and its length, or -1 and length 1
// for a byte that does not start a valid sequence (Go's utf8.DecodeRuneInString returning
// RuneError with size 1: no overlong forms, no surrogates, nothing above U+10FFFF).
std::pair<std::int32_t, std::size_t> decode_rune(std::string_view text, std::size_t i) noexcept
{
    const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
    const unsigned char b0 = byte(i);
    if (b0 < 0x80)
        return {b0, 1};
    const std::size_t length = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC2 ? 2 : 0;
    if (length == 0 || b0 > 0xF4 || text.size() - i < length)
        return {-1, 1};
    std::int32_t r = b0 & (0x7F >> length);
    for (std::size_t k = 1; k < length; ++k)
    {
        if ((byte(i + k) & 0xC0) != 0x80)
            return {-1, 1};
        r = (r << 6) | (byte(i + k) & 0x3F);
    }
    if ((length == 3 && r < 0x800) || (length == 4 && (r < 0x10000 || r > 0x10FFFF)) ||
        (r >= 0xD800 && r <= 0xDFFF))
        return {-1, 1};
    return {r, length};
}

// Go's unicode.IsPrint, approximated (see go_quote).
bool is_print(std::int32_t r) noexcept
{
    if (r < 0x80)
        return r >= 0x20 && r < 0x7F;
    if (r < 0xA0 || r == 0xAD || r == 0x2028 || r == 0x2029 || r == 0xFEFF)
        return false;
    if ((r >= 0xE000 && r <= 0xF8FF) || r >= 0xF0000)
        return false;
    if ((r & 0xFFFE) == 0xFFFE || (r >= 0xFDD0 && r <= 0xFDEF) || (r >= 0xFFF9 && r <= 0xFFFB))
        return false;
    return true;
}

// Appends `prefix` and the low `digits` hex digits of `v`.
void append_hex(std::string& out, const char* prefix, std::uint32_t v, int digits)
{
    out += prefix;
    for (int shift = 4 * (digits - 1); shift >= 0; shift -= 4)
        out += hex_digits[(v >> shift) & 0xF];
}

// The short escape of an ASCII control character in both JSON and Go ('\n' -> 'n'), or 0.
char short_escape(std::int32_t c, bool go) noexcept
{
    switch (c)
    {
    case '\n': return 'n';
    case '\r': return 'r';
    case '\t': return 't';
    case '\b': return 'b';
    case '\f': return 'f';
    case '\a': return go ? 'a' : 0;
    case '\v': return go ? 'v' : 0;
    default: return 0;
    }
}
} // namespace

void append_json_string(std::string& out, std::string_view text, go_json style)
{
    out.reserve(out.size() + text.size() + 2);
    out += '"';
    for (std::size_t i = 0; i < text.size();)
    {
        const auto [r, length] = decode_rune(text, i);
        const char esc = short_escape(r, false);
        if (r == '"' || r == '\\')
        {
            out += '\\';
            out += static_cast<char>(r);
        }
        else if (esc != 0 && (style == go_json::go1_22 || (r != '\b' && r != '\f')))
        {
            out += '\\';
            out += esc;
        }
        else if (r < 0)
            out += "\\ufffd";
        else if (r < 0x20 || r == '<' || r == '>' || r == '&' || r == 0x2028 || r == 0x2029)
            append_hex(out, "\\u", static_cast<std::uint32_t>(r), 4);
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
    for (std::size_t i = 0; i < text.size();)
    {
        const auto [r, length] = decode_rune(text, i);
        const char esc = short_escape(r, true);
        if (r < 0)
            append_hex(out, "\\x", static_cast<unsigned char>(text[i]), 2);
        else if (r == '"' || r == '\\')
        {
            out += '\\';
            out += static_cast<char>(r);
        }
        else if (is_print(r))
            out.append(text.substr(i, length));
        else if (esc != 0)
        {
            out += '\\';
            out += esc;
        }
        else if (r < 0x80)
            append_hex(out, "\\x", static_cast<std::uint32_t>(r), 2);
        else if (r < 0x10000)
            append_hex(out, "\\u", static_cast<std::uint32_t>(r), 4);
        else
            append_hex(out, "\\U", static_cast<std::uint32_t>(r), 8);
        i += length;
    }
    out += '"';
    return out;
}
} // namespace rpcplugin::wire
