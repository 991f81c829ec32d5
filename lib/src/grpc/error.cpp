#include "rpcplugin/grpc/error.hpp"

#include "detail/error_category.hpp"

namespace rpcplugin::grpc
{

namespace
{

const char* describe(int ev) noexcept
{
    switch (static_cast<errc>(ev))
    {
    case errc::message_too_large: return "The message is larger than the maximum message size.";
    case errc::bad_timeout: return "The grpc-timeout value is malformed.";
    case errc::bad_base64: return "The base64 input is malformed.";
    case errc::bad_compression:
        return "The message compression is invalid or the payload is corrupt.";
    case errc::unsupported_encoding: return "The message encoding is not supported.";
    case errc::decompressed_too_large:
        return "The decompressed message is larger than the maximum message size.";
    case errc::bad_metadata_key: return "The metadata key is invalid.";
    case errc::bad_metadata_value: return "The metadata value is invalid.";
    }
    return "Unknown rpcplugin.grpc error.";
}
} // namespace

const boost::system::error_category& grpc_category() noexcept
{
    static const detail::named_category category("rpcplugin.grpc", describe);
    return category;
}

boost::system::error_code make_error_code(errc e) noexcept
{
    return {static_cast<int>(e), grpc_category()};
}

} // namespace rpcplugin::grpc
