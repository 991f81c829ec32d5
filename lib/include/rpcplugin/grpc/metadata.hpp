#pragma once

#include <boost/system/result.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace rpcplugin::grpc
{

/**
 * One metadata (header or trailer) entry.
 *
 * The value is the decoded one: for a `-bin` key it holds raw bytes, not base64.
 */
struct metadata_entry
{
    /** The key: lower-case, validated with `is_valid_key`. */
    std::string key;
    /** The value: printable ASCII, or arbitrary bytes for a `-bin` key. */
    std::string value;
};

/** Ordered metadata; keys may repeat, and their order is kept. */
using metadata = std::vector<metadata_entry>;

/** Returns true when `key` is non-empty and holds only `0-9 a-z _ - .`. */
bool is_valid_key(std::string_view key) noexcept;

/** Returns true when `key` ends with `-bin`: its value is binary and base64 on the wire. */
bool is_binary_key(std::string_view key) noexcept;

/** Returns true when every byte of `value` is printable ASCII (0x20 to 0x7E); empty is valid. */
bool is_valid_ascii_value(std::string_view value) noexcept;

/**
 * Returns true when `key` belongs to the transport and must not be set or seen as user
 * metadata.
 *
 * Reserved are pseudo-headers (beginning with `:`), `content-type`, `te`, and every key
 * beginning with `grpc-` (such as `grpc-timeout`, `grpc-encoding`, `grpc-status`), except
 * `grpc-status-details-bin`, which is a user-visible trailer carrying rich error details.
 */
bool is_reserved_key(std::string_view key) noexcept;

/** Returns the value of the first entry whose key equals `key`, or nullptr if none does. */
const std::string* find(const metadata& md, std::string_view key) noexcept;

/**
 * Decodes a value as received on the wire.
 *
 * For a `-bin` key the value is base64 (padded or not) and is decoded; otherwise it must be
 * printable ASCII and is returned unchanged. Either failure is `errc::bad_metadata_value`.
 */
boost::system::result<std::string> decode_value(std::string_view key, std::string_view wire_value);

/**
 * Encodes a value for the wire: base64 without padding for a `-bin` key, otherwise unchanged.
 *
 * A non-binary value is not validated here; check it with `is_valid_ascii_value`.
 */
std::string encode_value(std::string_view key, std::string_view value);

} // namespace rpcplugin::grpc
