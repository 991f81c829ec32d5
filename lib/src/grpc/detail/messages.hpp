#pragma once

// The message paths of a call, the same for client_call and server_context: inbound, DATA
// bytes into the call's deframer with flow control held while complete messages wait for
// their reader; outbound, the size limit and compression before a message is queued; and
// one wording of their errors.

#include "rpcplugin/detail/waiter.hpp"
#include "rpcplugin/grpc/compression.hpp"
#include "rpcplugin/grpc/detail/frame_queue.hpp"
#include "rpcplugin/grpc/error.hpp"
#include "rpcplugin/grpc/framing.hpp"
#include "rpcplugin/grpc/status.hpp"

#include <google/protobuf/message_lite.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace rpcplugin::grpc::detail
{
inline std::span<const unsigned char> as_bytes(std::string_view s) noexcept
{
    return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

/// "grpc: WHAT larger than max (SIZE vs. MAX)", grpc-go's wording.
inline std::string too_large_message(std::string_view what, std::size_t size, std::size_t max)
{
    return "grpc: " + std::string(what) + " larger than max (" + std::to_string(size) + " vs. " +
           std::to_string(max) + ")";
}

/// Acknowledges the `held` bytes of stream `id` once no complete message waits for the
/// reader: bytes of unread messages stay unacknowledged (the call's backpressure), and
/// partial-message bytes are acknowledged so that a message larger than the window can
/// complete.
template <class Session>
void release_held(Session* session, std::int32_t id, const reader& r, std::size_t& held)
{
    if (r.queued() == 0 && held > 0 && session)
        session->consume(id, std::exchange(held, 0));
}

/// Feeds DATA bytes of stream `id` to `r`: a complete message wakes `ready`. Returns the
/// status that ends the call when the bytes are not valid gRPC framing or a message is too
/// large (the held bytes are then acknowledged).
template <class Session>
std::optional<status> receive(Session* session, std::int32_t id, reader& r, std::size_t& held,
                              rpcplugin::detail::waiter& ready, std::span<const unsigned char> data)
{
    held += data.size();
    if (auto ec = r.feed(data))
    {
        session->consume(id, std::exchange(held, 0));
        if (ec == errc::message_too_large)
            return status(status_code::resource_exhausted,
                          too_large_message("received message", r.last_declared_length(),
                                            r.max_message_size()));
        return status(status_code::internal, "grpc: invalid message framing: " + ec.message());
    }
    if (r.has_message())
        ready.notify();
    else
        release_held(session, id, r, held);
    return std::nullopt;
}
/// The payload of a received frame, decompressed with `enc` when it is compressed. Returns
/// the status that ends the call instead when a compressed frame came without an encoding,
/// or its content is corrupt or larger than `max` once decompressed.
inline std::optional<status> unpack_message(frame& f, encoding enc, std::size_t max,
                                            std::string& payload)
{
    if (!f.compressed)
    {
        payload = std::move(f.payload);
        return std::nullopt;
    }
    if (enc == encoding::identity)
        return status(status_code::internal, "grpc: compressed message without grpc-encoding");
    auto plain = grpc::decompress(enc, as_bytes(f.payload), max);
    if (!plain && plain.error() == errc::decompressed_too_large)
        return status(status_code::resource_exhausted,
                      "grpc: decompressed message larger than max (" + std::to_string(max) + ")");
    if (!plain)
        return status(status_code::internal,
                      "grpc: failed to decompress message: " + plain.error().message());
    payload = std::move(*plain);
    return std::nullopt;
}

/// Queues `payload` on `out` as one message, compressed with `enc` unless that is identity or
/// `compress` is false. Returns the status that ends the call instead when the message is
/// larger than `max` or cannot be compressed.
inline std::optional<status> queue_message(frame_queue& out, std::string_view payload,
                                           std::size_t max, encoding enc, bool compress)
{
    if (payload.size() > max)
        return status(status_code::resource_exhausted,
                      too_large_message("trying to send message", payload.size(), max));
    if (enc == encoding::identity || !compress)
    {
        out.push(false, payload);
        return std::nullopt;
    }
    auto z = grpc::compress(enc, as_bytes(payload));
    if (!z)
        return status(status_code::internal, "grpc: failed to compress message");
    out.push(true, *z);
    return std::nullopt;
}
/// Serializes `message` straight into `out`, with no buffer of its own and no copy, when it
/// needs neither the size limit's status nor compression. False when it does: the caller
/// then serializes it and takes `queue_message`.
inline bool queue_in_place(frame_queue& out, const google::protobuf::MessageLite& message,
                           std::size_t max, encoding enc, bool compress)
{
    const std::size_t size = message.ByteSizeLong();
    if (size > max || (enc != encoding::identity && compress))
        return false;
    auto room = out.append(false, size);
    message.SerializeWithCachedSizesToArray(room.data());
    return true;
}
} // namespace rpcplugin::grpc::detail
