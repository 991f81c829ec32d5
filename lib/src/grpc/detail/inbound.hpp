#pragma once

// The inbound half of a call, the same for client_call (responses) and server_context
// (requests): DATA bytes into the call's deframer, flow control held while complete
// messages wait for their reader, and one wording of the errors.

#include "rpcplugin/detail/waiter.hpp"
#include "rpcplugin/grpc/error.hpp"
#include "rpcplugin/grpc/framing.hpp"
#include "rpcplugin/grpc/status.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>

namespace rpcplugin::grpc::detail
{
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
} // namespace rpcplugin::grpc::detail
