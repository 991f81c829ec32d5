#pragma once

#include <boost/system/result.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace rpcplugin::grpc
{

/** A message encoding named by `grpc-encoding`. */
enum class encoding
{
    /** No compression. */
    identity,
    /** gzip (RFC 1952), zlib window bits 15 + 16. */
    gzip,
    /** The zlib format (RFC 1950), window bits 15, as gRPC calls "deflate". */
    deflate,
};

/**
 * Parses an encoding name: `"identity"`, `"gzip"` or `"deflate"`, ignoring ASCII case.
 *
 * Returns an empty optional for any other name; the caller answers `UNIMPLEMENTED`.
 */
std::optional<encoding> parse_encoding(std::string_view name) noexcept;

/** Returns the wire name of `e`: `"identity"`, `"gzip"` or `"deflate"`. */
std::string_view to_string(encoding e) noexcept;

/**
 * Compresses `data` with `e` at zlib's default level; `identity` copies it.
 *
 * Fails with `errc::bad_compression` only if zlib itself fails (out of memory).
 */
boost::system::result<std::string> compress(encoding e, std::span<const unsigned char> data);

/**
 * Decompresses `data` compressed with `e`; `identity` copies it.
 *
 * Output longer than `max_size` is `errc::decompressed_too_large`; inflation stops as soon as
 * the limit is passed, so memory use stays bounded by `max_size` however well the input
 * compresses. Corrupt, truncated or trailing-garbage input is `errc::bad_compression`.
 */
boost::system::result<std::string> decompress(encoding e, std::span<const unsigned char> data,
                                              std::size_t max_size);

/** Returns the `grpc-accept-encoding` value this implementation sends: `"identity,gzip,deflate"`.
 */
std::string accept_encoding_header();

/**
 * Returns true when a `grpc-accept-encoding` header value lists `e`.
 *
 * The value is a comma-separated list with optional spaces or tabs around each name; names
 * compare ignoring ASCII case, and `;` parameters are ignored. `identity` is always accepted,
 * since an uncompressed message is valid on any call.
 */
bool accepts(std::string_view accept_encoding_header_value, encoding e) noexcept;

} // namespace rpcplugin::grpc
