#include "rpcplugin/grpc/error.hpp"

#include <cstddef>
#include <string>

namespace rpcplugin::grpc
{

namespace
{

const char* describe(int ev) noexcept
{
    switch (static_cast<errc>(ev))
    {
    case errc::message_too_large:
        return "The message is larger than the maximum message size.";
    case errc::bad_timeout:
        return "The grpc-timeout value is malformed.";
    case errc::bad_base64:
        return "The base64 input is malformed.";
    case errc::bad_compression:
        return "The message compression is invalid or the payload is corrupt.";
    case errc::unsupported_encoding:
        return "The message encoding is not supported.";
    case errc::decompressed_too_large:
        return "The decompressed message is larger than the maximum message size.";
    case errc::bad_metadata_key:
        return "The metadata key is invalid.";
    case errc::bad_metadata_value:
        return "The metadata value is invalid.";
    }
    return "Unknown rpcplugin.grpc error.";
}

// boost::system::error_category has a protected non-virtual destructor by design (categories
// are never deleted through a base pointer), which -Wnon-virtual-dtor reports for any derived
// category. The category below is a function-local static that is never deleted.
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
#endif

class grpc_error_category final : public boost::system::error_category
{
public:
    const char* name() const noexcept override { return "rpcplugin.grpc"; }

    std::string message(int ev) const override { return describe(ev); }

    const char* message(int ev, char*, std::size_t) const noexcept override { return describe(ev); }
};

#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

} // namespace

const boost::system::error_category& grpc_category() noexcept
{
    static const grpc_error_category category;
    return category;
}

boost::system::error_code make_error_code(errc e) noexcept
{
    return {static_cast<int>(e), grpc_category()};
}

} // namespace rpcplugin::grpc
