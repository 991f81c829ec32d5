#pragma once

#include <boost/system/error_category.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/is_error_code_enum.hpp>

#include <type_traits>

namespace rpcplugin::grpc
{

/**
 * Errors raised by the pure gRPC codec units (framing, timeouts, base64, metadata,
 * compression).
 *
 * They belong to `grpc_category()`, named `"rpcplugin.grpc"`. These are protocol errors, not
 * gRPC statuses: the caller maps them onto a `grpc::status` when it ends a call.
 */
enum class errc
{
    /** A length prefix declared a message larger than the configured maximum. */
    message_too_large = 1,

    /** A `grpc-timeout` value is not 1 to 8 ASCII digits followed by one unit (H M S m u n). */
    bad_timeout,

    /** Base64 input holds a character outside the standard alphabet or has an invalid length
        (no longer produced: `codec::base64_decode` answers `std::nullopt`, and a `-bin`
        metadata value that does not decode is `bad_metadata_value`). */
    bad_base64,

    /** A compressed-flag byte other than 0 or 1, or a compressed payload that does not inflate. */
    bad_compression,

    /** A `grpc-encoding` names a compression algorithm this implementation does not support. */
    unsupported_encoding,

    /** Inflating a message produced more bytes than the configured maximum. */
    decompressed_too_large,

    /** A metadata key is empty or holds characters other than 0-9 a-z _ - . */
    bad_metadata_key,

    /** A metadata value is not printable ASCII, or a `-bin` value is not valid base64. */
    bad_metadata_value,
};

/** Returns the category of `errc`, named `"rpcplugin.grpc"`. */
const boost::system::error_category& grpc_category() noexcept;

/** Makes an error code of `grpc_category()`; found by ADL when converting an `errc`. */
boost::system::error_code make_error_code(errc e) noexcept;

} // namespace rpcplugin::grpc

// Lets `rpcplugin::grpc::errc` convert implicitly to `boost::system::error_code`.
// Hidden from the API reference: Doxygen cannot place a specialization declared by its
// qualified name.
/// @cond
template <>
struct boost::system::is_error_code_enum<rpcplugin::grpc::errc> : std::true_type
{
};
/// @endcond
