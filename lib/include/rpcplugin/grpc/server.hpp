#pragma once

/**
 * @file
 * A gRPC server: a method table and the coroutines that accept and serve connections.
 */

#include "rpcplugin/asio.hpp"
#include "rpcplugin/grpc/call_stage.hpp"
#include "rpcplugin/grpc/connection_stage.hpp"
#include "rpcplugin/grpc/method.hpp"
#include "rpcplugin/grpc/server_options.hpp"
#include "rpcplugin/grpc/typed.hpp"
#include "rpcplugin/transport/stream.hpp"
#include "rpcplugin/transport/listener.hpp"
#include "rpcplugin/transport/socket.hpp"

#include <boost/asio/ssl/context.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

namespace rpcplugin::grpc
{
namespace detail
{
class connections;
}

/**
 * Routes calls by `:path` to registered handlers and serves connections.
 *
 * Register every method and stage before serving. Each connection runs on its own strand; a
 * connection's calls run on that strand too, so one connection never uses two threads
 * at once, while several threads may run the io_context to spread connections.
 *
 * The server must outlive the coroutines that serve through it.
 *
 * @par Thread Safety
 * Registration: not thread-safe, and not allowed once serving started. Serving: safe to
 * call `serve` from several coroutines (e.g. one per listener).
 */
class server
{
public:
    /** A server with no methods yet, with the limits, settings and logger of `opts`. */
    explicit server(server_options opts = {});
    ~server();

    server(const server&) = delete;
    server& operator=(const server&) = delete;

    /** The options (limits, HTTP/2 settings, logger). Change them only before serving. */
    server_options& options() noexcept { return opts_; }
    /** The options, read-only. */
    const server_options& options() const noexcept { return opts_; }

    /** Registers a raw handler for `path` ("/package.Service/Method"), replacing any other. */
    void add_method(std::string path, rpc_kind kind, raw_handler handler);

    /** Registers `F: awaitable<status>(server_context&, const Request&, Response&)`. */
    template <class Request, class Response, class F>
    void add_unary(std::string path, F f)
    {
        add_method(std::move(path), rpc_kind::unary,
                   unary_handler<Request, Response>(std::move(f)));
    }

    /** Registers `F: awaitable<status>(server_context&, server_reader<Request>&, Response&)`. */
    template <class Request, class Response, class F>
    void add_client_streaming(std::string path, F f)
    {
        add_method(std::move(path), rpc_kind::client_streaming,
                   client_streaming_handler<Request, Response>(std::move(f)));
    }

    /** Registers `F: awaitable<status>(server_context&, const Request&, server_writer<Response>&)`.
     */
    template <class Request, class Response, class F>
    void add_server_streaming(std::string path, F f)
    {
        add_method(std::move(path), rpc_kind::server_streaming,
                   server_streaming_handler<Request, Response>(std::move(f)));
    }

    /** Registers `F: awaitable<status>(server_context&, server_stream<Request, Response>&)`. */
    template <class Request, class Response, class F>
    void add_bidi_streaming(std::string path, F f)
    {
        add_method(std::move(path), rpc_kind::bidi_streaming,
                   bidi_streaming_handler<Request, Response>(std::move(f)));
    }

    /**
     * Appends a per-call stage (see call_stage.hpp). Calls pass the stages in the order
     * they were added, then reach their handler. Only calls to registered methods reach
     * the stages; unknown methods are answered UNIMPLEMENTED first.
     */
    void add_call_stage(call_stage stage) { call_stages_.push_back(std::move(stage)); }

    /**
     * Appends a per-connection stage (see connection_stage.hpp). Accepted connections pass
     * the stages in the order they were added, then are served.
     */
    void add_connection_stage(connection_stage stage)
    {
        connection_stages_.push_back(std::move(stage));
    }

    /** Runs `f` when `drain` starts, before anything else of the drain (e.g. health turns
        NOT_SERVING). `f` runs on the thread calling `drain` and must not block. */
    void on_drain(std::function<void()> f) { drain_hooks_.push_back(std::move(f)); }

    /** The per-call stages, in order. */
    std::span<const call_stage> call_stages() const noexcept { return call_stages_; }

    /** The method registered for `path`, or nullptr. */
    const method_entry* find(std::string_view path) const noexcept;

    /** True when some method of `service` ("package.Service") is registered. */
    bool has_service(std::string_view service) const noexcept;

    /**
     * Accepts connections from `l` and serves each on a new strand until the listener is
     * closed or this coroutine is cancelled. With `tls`, every connection must complete a
     * TLS handshake that negotiates ALPN "h2".
     *
     * Completes when accepting stops (connections already accepted keep running).
     * Cancellation: any cancellation type stops accepting.
     */
    asio::awaitable<void> serve(transport::listener& l,
                                std::shared_ptr<asio::ssl::context> tls = nullptr);

    /**
     * Serves one accepted connection to its end: the admission policy
     * (`server_options::admission`), the connection stages, then the front door: protocol
     * detection (a clear answer to HTTP/1.x and to TLS/plaintext mismatches), the TLS
     * handshake when `tls` is given (a stage may change it), then HTTP/2. Runs on the
     * socket's executor, which should be a strand.
     *
     * Completes when the connection is closed and the handlers of its calls have returned.
     * Cancellation: terminal cancellation closes the connection and cancels its calls
     * (the drain uses it).
     */
    asio::awaitable<void> serve_connection(transport::socket s,
                                           std::shared_ptr<asio::ssl::context> tls = nullptr);

    /**
     * Graceful drain: stops accepting (the listeners given to `serve` are closed), sends
     * every connection the GOAWAY shutdown notice and a PING, then the final GOAWAY with its
     * last stream id (on the PING's ACK, or after 100 ms at most), lets calls already
     * started run to completion for up to `grace` from the start of the drain, then
     * cancels the remaining connections (terminal cancellation of their coroutines), which
     * closes them and cancels their calls (clients see a status, never a hang). New
     * streams after the final GOAWAY are refused (clients see UNAVAILABLE). Connections
     * still in their handshake are waited for and cancelled alike.
     *
     * Completes when every connection has ended (it awaits the last one; no polling). Safe to call
     * from any thread, more than once (later calls wait for the same end). Cancellation: not
     * cancellable.
     */
    asio::awaitable<void> drain(std::chrono::milliseconds grace);

    /** True once `drain` started. */
    bool draining() const noexcept;

    /** Number of connections currently served, from accept to close (the handshake
        included). */
    std::size_t connection_count() const;

    /** Connections currently in their handshake (see `server_options::admission`). */
    std::size_t pending_handshakes() const noexcept;

private:
    struct string_hash
    {
        using is_transparent = void;
        std::size_t operator()(std::string_view s) const noexcept
        {
            return std::hash<std::string_view>{}(s);
        }
    };

    server_options opts_;
    std::vector<call_stage> call_stages_;
    std::vector<connection_stage> connection_stages_;
    connection_next::last_step serve_last_step_;
    std::vector<std::function<void()>> drain_hooks_;
    std::atomic<std::uint64_t> next_connection_id_{1};
    std::unique_ptr<detail::connections> connections_;
    std::unordered_map<std::string, method_entry, string_hash, std::equal_to<>> methods_;
    std::unordered_set<std::string, string_hash, std::equal_to<>> services_;
};
} // namespace rpcplugin::grpc
