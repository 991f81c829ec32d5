#include "go_text.hpp"

#include <cstdint>
#include <cstdio>

namespace rpcplugin::terraform::detail
{
namespace
{

// Decodes one UTF-8 sequence at s[i]; returns the rune and its length, or -1 and length 1
// for an invalid byte (Go's utf8.DecodeRuneInString rules: no overlongs, no surrogates).
std::pair<std::int32_t, std::size_t> decode_rune(std::string_view s, std::size_t i)
{
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = b(i);
    if (c < 0x80)
        return {c, 1};
    std::size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc2 ? 2 : 0;
    if (n == 0 || c > 0xf4 || i + n > s.size())
        return {-1, 1};
    std::int32_t r = c & (0x7f >> n);
    for (std::size_t k = 1; k < n; ++k)
    {
        unsigned char cc = b(i + k);
        if ((cc & 0xc0) != 0x80)
            return {-1, 1};
        r = (r << 6) | (cc & 0x3f);
    }
    if ((n == 3 && r < 0x800) || (n == 4 && (r < 0x10000 || r > 0x10ffff)) ||
        (r >= 0xd800 && r <= 0xdfff))
        return {-1, 1};
    return {r, n};
}

bool is_print(std::int32_t r)
{
    if (r < 0x80)
        return r >= 0x20 && r < 0x7f;
    if (r < 0xa0 || r == 0xad || r == 0x2028 || r == 0x2029 || r == 0xfeff)
        return false;
    if ((r >= 0xe000 && r <= 0xf8ff) || r >= 0xf0000)
        return false;
    if ((r & 0xfffe) == 0xfffe || (r >= 0xfdd0 && r <= 0xfdef) || (r >= 0xfff9 && r <= 0xfffb))
        return false;
    return true;
}

void append_hex(std::string& out, const char* fmt, unsigned v)
{
    char buf[16];
    int n = std::snprintf(buf, sizeof buf, fmt, v);
    out.append(buf, static_cast<std::size_t>(n));
}

} // namespace

void append_json_string(std::string& out, std::string_view s)
{
    out += '"';
    for (std::size_t i = 0; i < s.size();)
    {
        auto c = static_cast<unsigned char>(s[i]);
        if (c < 0x80)
        {
            switch (c)
            {
            case '"':
                out += "\\\"";
                break;
            case '\\':
                out += "\\\\";
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
                append_hex(out, "\\u%04x", c);
                break;
            default:
                if (c < 0x20)
                    append_hex(out, "\\u%04x", c);
                else
                    out += static_cast<char>(c);
            }
            ++i;
            continue;
        }
        auto [r, n] = decode_rune(s, i);
        if (r < 0)
            out += "\\ufffd";
        else if (r == 0x2028 || r == 0x2029)
            append_hex(out, "\\u%04x", static_cast<unsigned>(r));
        else
            out.append(s.substr(i, n));
        i += n;
    }
    out += '"';
}

std::string go_quote(std::string_view s)
{
    std::string out = "\"";
    for (std::size_t i = 0; i < s.size();)
    {
        auto [r, n] = decode_rune(s, i);
        if (r < 0)
        {
            append_hex(out, "\\x%02x", static_cast<unsigned char>(s[i]));
            i += 1;
            continue;
        }
        if (r == '"' || r == '\\')
        {
            out += '\\';
            out += static_cast<char>(r);
        }
        else if (is_print(r))
            out.append(s.substr(i, n));
        else
        {
            switch (r)
            {
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
                if (r < ' ' || r == 0x7f)
                    append_hex(out, "\\x%02x", static_cast<unsigned>(r));
                else if (r < 0x10000)
                    append_hex(out, "\\u%04x", static_cast<unsigned>(r));
                else
                    append_hex(out, "\\U%08x", static_cast<unsigned>(r));
            }
        }
        i += n;
    }
    out += '"';
    return out;
}

} // namespace rpcplugin::terraform::detail
