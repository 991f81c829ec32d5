#pragma once

/**
 * @file
 * Standard base64 (RFC 4648), padded and unpadded: gRPC `-bin` metadata and the certificate
 * field of the go-plugin handshake line. The codec module sits below every other module.
 */

#include <optional>
#include <string>
#include <string_view>

namespace rpcplugin::codec
{

/**
 * Encodes `bytes` in standard base64 (RFC 4648 section 4, alphabet `A-Z a-z 0-9 + /`).
 *
 * With `pad` false the trailing `=` characters are left out, as gRPC does when it sends
 * `-bin` metadata.
 */
std::string base64_encode(std::string_view bytes, bool pad = true);

/**
 * Decodes standard base64, padded or unpadded, as found in gRPC `-bin` metadata.
 *
 * Padded input must have a length that is a multiple of 4 with at most two trailing `=`;
 * unpadded input must not have a length of 1 modulo 4. Characters outside the standard
 * alphabet (including whitespace and the URL-safe `-` and `_`) and any invalid length give
 * `std::nullopt`. Non-zero bits in the last character's unused low bits are ignored.
 */
std::optional<std::string> base64_decode(std::string_view text);

} // namespace rpcplugin::codec
