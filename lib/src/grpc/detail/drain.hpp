#pragma once

/**
 * @file
 * The graceful drain of a server: the one sequence every trigger uses.
 */

#include "grpc/detail/connections.hpp"
#include "rpcplugin/asio.hpp"
#include "rpcplugin/log.hpp"

#include <chrono>
#include <functional>
#include <span>

namespace rpcplugin::grpc::detail
{
/**
 * Drains `conns`: runs `hooks` (health turns NOT_SERVING), stops accepting, sends every
 * HTTP/2 connection the GOAWAY shutdown notice and a PING, then (on the PING's ACK, or
 * after 100 ms at most) the final GOAWAY, awaits the connections' end up to `grace` from
 * the start, then cancels those left (terminal cancellation: their calls are cancelled)
 * and awaits the last one. A later call awaits the end of the first.
 */
asio::awaitable<void> drain(connections& conns, std::span<const std::function<void()>> hooks,
                            std::chrono::milliseconds grace, const logger& log);
} // namespace rpcplugin::grpc::detail
