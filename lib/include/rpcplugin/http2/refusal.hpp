#pragma once

/**
 * @file
 * Refusing an HTTP/2 client before serving it, in HTTP/2's own terms.
 */

#include "rpcplugin/asio.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace rpcplugin::http2
{
/**
 * The frames a server sends to refuse a client it will not serve (for example an h2c
 * client on a TLS listener): the server preface (an empty SETTINGS frame), then
 * GOAWAY(`error_code`, last stream id 0, `debug` as its debug data), serialized by nghttp2.
 */
std::vector<unsigned char> refusal_frames(std::uint32_t error_code, std::string_view debug);

/**
 * Writes `refusal_frames(error_code, debug)` to `stream`; the caller closes it after.
 * Completes when written or when writing failed (the connection is refused either way).
 * Cancellation: as `asio::async_write` on `stream`.
 */
template <class AsyncStream>
asio::awaitable<void> refuse(AsyncStream& stream, std::uint32_t error_code, std::string debug)
{
    auto frames = refusal_frames(error_code, debug);
    co_await asio::async_write(stream, asio::buffer(frames), use_tuple);
}
} // namespace rpcplugin::http2
