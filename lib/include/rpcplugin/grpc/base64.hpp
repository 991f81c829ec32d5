#pragma once

#include <boost/system/result.hpp>

#include <string>
#include <string_view>

namespace rpcplugin::grpc
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
 * alphabet (including whitespace and the URL-safe `-` and `_`) are `errc::bad_base64`, as is
 * any invalid length. Non-zero bits in the last character's unused low bits are ignored.
 */
boost::system::result<std::string> base64_decode(std::string_view text);

} // namespace rpcplugin::grpc
