#pragma once

/**
 * @file
 * A listening socket on TCP or a Unix socket path.
 */

#include "rpcplugin/asio.hpp"
#include "rpcplugin/transport/endpoint.hpp"
#include "rpcplugin/transport/socket.hpp"

#include <boost/system/result.hpp>

#include <optional>
#include <string>
#include <sys/types.h>
#include <tuple>
#include <variant>

namespace rpcplugin::transport
{
/** How to create a listener. */
struct listen_options
{
    /** Permission bits of a Unix socket file (set before `listen`, so no peer can race it). */
    unsigned unix_mode = 0600;
    /** Group that owns a Unix socket file (e.g. for mode 0660); unchanged when empty. */
    std::optional<gid_t> unix_group;
    /** Remove a stale socket file (one nobody accepts on) before binding. */
    bool remove_stale = true;
    /** Listen backlog. */
    int backlog = 128;
};

/**
 * A bound, listening acceptor. A Unix socket file is removed when the listener is closed
 * or destroyed.
 *
 * @par Thread Safety
 * Distinct objects: safe. Shared objects: unsafe; `close()` must run on the executor
 * that runs `accept()`.
 */
class listener
{
public:
    /**
     * Binds and listens on `ep` (synchronously).
     *
     * A Unix socket path that exists is probed: if a server accepts on it the result is
     * `errc::address_in_use`; if it is a stale socket it is removed (when
     * `opts.remove_stale`); if it is not a socket the result is `errc::not_a_socket`.
     * A TCP port of 0 binds a free port; `local_endpoint()` tells which.
     */
    static boost::system::result<listener> bind(asio::any_io_executor ex, const endpoint& ep,
                                                const listen_options& opts = {});

    /** Takes over the acceptor (and the socket file it removes when closed). */
    listener(listener&&) noexcept;
    /** Closes this listener, then takes over `other`'s acceptor. */
    listener& operator=(listener&&) noexcept;
    ~listener();

    /** The bound endpoint, with the real port for TCP. */
    const endpoint& local_endpoint() const noexcept { return local_; }

    /**
     * Accepts one connection; the socket uses `socket_executor` (e.g. a new strand).
     *
     * Completes with `(error_code, socket)`. Cancellation: `close()` or cancellation of the
     * awaiting coroutine (terminal, partial, total) completes it with `operation_aborted`.
     */
    asio::awaitable<std::tuple<boost::system::error_code, socket>>
    accept(asio::any_io_executor socket_executor);

    /** Stops listening and removes the socket file. Idempotent. */
    void close() noexcept;

    /** True until `close()`. */
    bool is_open() const noexcept;

private:
    using acceptor = std::variant<asio::ip::tcp::acceptor, asio::local::stream_protocol::acceptor>;

    listener(acceptor a, endpoint local);

    acceptor acceptor_;
    endpoint local_;
    bool owns_path_ = false;
};
} // namespace rpcplugin::transport
