#include "rpcplugin/grpc/metadata.hpp"

#include "rpcplugin/codec/base64.hpp"
#include "rpcplugin/grpc/error.hpp"

#include <utility>

namespace rpcplugin::grpc
{

namespace
{

constexpr bool is_key_char(char c) noexcept
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || c == '_' || c == '-' || c == '.';
}

} // namespace

bool is_valid_key(std::string_view key) noexcept
{
    if (key.empty())
    {
        return false;
    }
    for (const char c : key)
    {
        if (!is_key_char(c))
        {
            return false;
        }
    }
    return true;
}

bool is_binary_key(std::string_view key) noexcept
{
    return key.ends_with("-bin");
}

bool is_valid_ascii_value(std::string_view value) noexcept
{
    for (const char c : value)
    {
        const auto byte = static_cast<unsigned char>(c);
        if (byte < 0x20 || byte > 0x7E)
        {
            return false;
        }
    }
    return true;
}

bool is_reserved_key(std::string_view key) noexcept
{
    if (key.starts_with(':'))
    {
        return true;
    }
    if (key == "content-type" || key == "te")
    {
        return true;
    }
    return key.starts_with("grpc-") && key != "grpc-status-details-bin";
}

const std::string* find(const metadata& md, std::string_view key) noexcept
{
    for (const metadata_entry& entry : md)
    {
        if (entry.key == key)
        {
            return &entry.value;
        }
    }
    return nullptr;
}

boost::system::result<std::string> decode_value(std::string_view key, std::string_view wire_value)
{
    if (is_binary_key(key))
    {
        auto decoded = codec::base64_decode(wire_value);
        if (!decoded)
        {
            return make_error_code(errc::bad_metadata_value);
        }
        return std::move(*decoded);
    }
    if (!is_valid_ascii_value(wire_value))
    {
        return make_error_code(errc::bad_metadata_value);
    }
    return std::string(wire_value);
}

std::string encode_value(std::string_view key, std::string_view value)
{
    if (is_binary_key(key))
    {
        return codec::base64_encode(value, false);
    }
    return std::string(value);
}

} // namespace rpcplugin::grpc
