#include "rpcplugin/transport/detect.hpp"

#include <algorithm>

namespace rpcplugin::transport
{
namespace
{
bool is_token_char(unsigned char c) noexcept
{
    return (c >= 'A' && c <= 'Z') || c == '-';
}
} // namespace

protocol_guess guess_protocol(std::span<const unsigned char> data) noexcept
{
    if (data.empty())
        return protocol_guess::need_more;
    if (data[0] == 0x16)
    {
        if (data.size() < 2)
            return protocol_guess::need_more;
        return data[1] == 0x03 ? protocol_guess::tls_handshake : protocol_guess::unknown;
    }
    std::size_t n = std::min(data.size(), http2_preface.size());
    if (std::equal(data.begin(), data.begin() + n,
                   reinterpret_cast<const unsigned char*>(http2_preface.data())))
        return n == http2_preface.size() ? protocol_guess::http2_preface
                                         : protocol_guess::need_more;
    // An HTTP/1.x request line starts with an upper-case method token and a space.
    std::size_t i = 0;
    while (i < data.size() && i < 16 && is_token_char(data[i]))
        ++i;
    if (i == data.size() && i < 16)
        return protocol_guess::need_more;
    if (i > 0 && i < data.size() && data[i] == ' ')
        return protocol_guess::http1_request;
    return protocol_guess::unknown;
}
} // namespace rpcplugin::transport
