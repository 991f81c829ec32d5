#pragma once

/**
 * @file
 * The server's connections: a task group of connection coroutines, the handshake quota,
 * and the listeners being served. Private to the library.
 */

#include "rpcplugin/asio.hpp"
#include "rpcplugin/transport/listener.hpp"

#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_type.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace rpcplugin::http2
{
class server_session;
}

namespace rpcplugin::grpc::detail
{
class empty_waiter;

/**
 * The connections of one server, run as a task group (the model is Beast's `task_group`
 * example): every connection coroutine is spawned with a cancellation signal of its own
 * and counted until it completes. `cancel` emits a cancellation type to each of them on
 * its own strand; `wait_empty` completes when the last one has completed, without
 * polling. Besides, the handshake quota and the listeners `server::serve` accepts from.
 *
 * @par Thread Safety
 * Every member function is thread-safe. A `member`'s `signal` and `session` are used on
 * that connection's strand only.
 */
class connections
{
public:
    /** One connection of the group. */
    struct member
    {
        explicit member(asio::any_io_executor s)
            : strand(std::move(s))
        {
        }
        /** The connection's strand. */
        asio::any_io_executor strand;
        /** Bound to the connection coroutine: emitted by `cancel`. */
        asio::cancellation_signal signal;
        /** The HTTP/2 session while the connection serves HTTP/2 (see `attach`). */
        http2::server_session* session = nullptr;
    };

    connections();
    ~connections();
    connections(const connections&) = delete;
    connections& operator=(const connections&) = delete;

    /** Adds connection `id`, run on `strand`, to the group; nullptr when the group has
        `max_connections` members already (0: no limit). */
    std::shared_ptr<member> join(std::uint64_t id, asio::any_io_executor strand,
                                 std::size_t max_connections = 0);
    /** Removes connection `id` (its coroutine completed); wakes `wait_empty` after the last. */
    void leave(std::uint64_t id);
    /** Connections in the group. */
    std::size_t size() const;

    /** On the connection's strand: its HTTP/2 session is `s` (nullptr: no longer). */
    void attach(std::uint64_t id, http2::server_session* s);

    /** Runs `op` on every connection that serves HTTP/2, on its strand. Returns how many
        connections the group had. */
    std::size_t each_session(void (*op)(http2::server_session&));
    /** Emits `type` to every connection's signal, on its strand. Returns how many. */
    std::size_t cancel(asio::cancellation_type type);
    /**
     * Completes when the group is empty (true) or at `deadline` (false if connections are
     * left then). Cancellation: terminal cancellation completes it early (false).
     */
    asio::awaitable<bool> wait_empty(std::chrono::steady_clock::time_point deadline);

    // --- handshake quota ------------------------------------------------------------------

    /** Takes one of `max` places for a connection in its handshake (0: no limit); false
        when none is free. */
    bool begin_handshake(std::size_t max) noexcept;
    /** Gives back a place `begin_handshake` took. */
    void end_handshake() noexcept;
    /** Connections currently in their handshake. */
    std::size_t pending_handshakes() const noexcept { return handshakes_.load(); }

    // --- listeners and the drain flag -------------------------------------------------------

    /** Registers a listener `server::serve` accepts from; false once draining. */
    bool add_listener(transport::listener* l);
    void remove_listener(transport::listener* l);
    /** Sets the drain flag and closes the listeners (on `ex`). True for the first call. */
    bool start_drain(asio::any_io_executor ex);
    bool draining() const noexcept { return draining_.load(); }

    // --- lifetime ---------------------------------------------------------------------------

    /** Counts a user of the registry (a `connections_user`); the owner is the first. */
    void add_user() noexcept { users_.fetch_add(1, std::memory_order_relaxed); }
    /** Ends a use; the last one deletes the registry. The server gives up its own use in its
        destructor, so coroutines that an io_context destroys after the server (suspended at
        the io_context's shutdown) still find the registry alive. */
    void remove_user() noexcept
    {
        if (users_.fetch_sub(1, std::memory_order_acq_rel) == 1)
            delete this;
    }

private:
    asio::awaitable<bool> wait_empty_on_strand(std::chrono::steady_clock::time_point deadline);

    std::atomic<std::size_t> users_{1};
    mutable std::mutex mutex_;
    std::unordered_map<std::uint64_t, std::shared_ptr<member>> members_;
    std::vector<std::shared_ptr<empty_waiter>> waiters_;
    std::vector<transport::listener*> listeners_;
    std::atomic<std::size_t> handshakes_{0};
    std::atomic<bool> draining_{false};
};

/**
 * One of the quota's places for a connection in its handshake, given back when the
 * handshake ends (`release`) or the connection does.
 */
/** Holds a use of a `connections` registry for its lifetime: declared first in a coroutine
    that refers to the registry, it keeps the registry alive while the frame's other locals
    are destroyed. */
class connections_user
{
public:
    explicit connections_user(connections& c) noexcept
        : c_(&c)
    {
        c_->add_user();
    }
    ~connections_user() { c_->remove_user(); }
    connections_user(const connections_user&) = delete;
    connections_user& operator=(const connections_user&) = delete;

private:
    connections* c_;
};

class handshake_place
{
public:
    handshake_place(connections& c, std::size_t max) noexcept
        : c_(c)
        , held_(c.begin_handshake(max))
    {
    }
    ~handshake_place() { release(); }
    handshake_place(const handshake_place&) = delete;
    handshake_place& operator=(const handshake_place&) = delete;

    explicit operator bool() const noexcept { return held_; }
    void release() noexcept
    {
        if (held_)
            c_.end_handshake();
        held_ = false;
    }

private:
    connections& c_;
    bool held_;
};
} // namespace rpcplugin::grpc::detail
