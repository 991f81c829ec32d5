#pragma once

#include <string>
#include <string_view>

namespace rpcplugin::grpc
{

/**
 * Percent-encodes a `grpc-message` value as PROTOCOL-HTTP2.md asks.
 *
 * Bytes outside 0x20 to 0x7E, and `%` itself, become `%XX` with upper-case hex digits, and so
 * does a space at the start or the end (`%20`): an HTTP/2 field value must not begin or end
 * with whitespace (RFC 9113 section 8.2.1). Every other byte is copied. The message is treated
 * as raw bytes (UTF-8 in practice).
 */
std::string percent_encode(std::string_view text);

/**
 * Decodes a percent-encoded `grpc-message` value leniently; never fails.
 *
 * `%` followed by two hex digits (either case) becomes that byte. A malformed sequence, such
 * as a lone `%` or `%G1`, is kept literally, as gRPC's permissive decoder does, so that a
 * client still sees a readable message.
 */
std::string percent_decode(std::string_view text);

} // namespace rpcplugin::grpc
