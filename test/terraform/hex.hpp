#pragma once

#include <string>
#include <string_view>

namespace rpcplugin::terraform::test
{

/// "d4 00 00" -> bytes (spaces ignored).
inline std::string unhex(std::string_view h)
{
    std::string out;
    int hi = -1;
    for (char c : h)
    {
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (v < 0)
            continue;
        if (hi < 0)
            hi = v;
        else
        {
            out += static_cast<char>(hi * 16 + v);
            hi = -1;
        }
    }
    return out;
}

/// bytes -> "d40000" (lower case, no spaces).
inline std::string hex(std::string_view b)
{
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned char c : b)
    {
        out += digits[c >> 4];
        out += digits[c & 15];
    }
    return out;
}

} // namespace rpcplugin::terraform::test
