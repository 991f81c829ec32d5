#pragma once

/**
 * @file
 * The plugin runtime: a gRPC server that a go-plugin host launches and talks to.
 */

#include "rpcplugin/asio.hpp"
#include "rpcplugin/grpc/server.hpp"
#include "rpcplugin/health/service.hpp"
#include "rpcplugin/plugin/broker.hpp"
#include "rpcplugin/plugin/config.hpp"
#include "rpcplugin/plugin/stdio_service.hpp"
#include "rpcplugin/tls/context.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

namespace rpcplugin::plugin
{
class stdio_capture;

/**
 * RPCPluginServer: checks the magic cookie, negotiates the protocol version, listens on a
 * Unix socket or TCP port, sets up AutoMTLS, serves go-plugin's internal services
 * (grpc.health.v1, plugin.GRPCController, plugin.GRPCBroker, plugin.GRPCStdio) beside the
 * application's, prints the handshake line, captures stdout and stderr for GRPCStdio,
 * and runs until a graceful drain (SIGTERM, Controller.Shutdown, the shutdown file, or
 * `stop()`).
 *
 * Register application services on `services()` before `serve`.
 *
 * @par Output
 * Nothing but the handshake line reaches the real stdout. Then (unless
 * `config::capture_stdio` is off) descriptors 1 and 2 are pipes whose content goes to the
 * host as StdioData (see `stdio_capture`); the runtime's hclog lines keep going to the real
 * stderr through a duplicate of descriptor 2 taken by the constructor. At the end of
 * `serve` descriptors 1 and 2 are the originals again.
 *
 * @par Debug mode
 * With `config::debug` (or `PLUGIN_DEBUG`), the plugin needs no cookie, serves plaintext
 * on a Unix socket, prints the reattach instructions (`format_reattach_instructions`)
 * instead of the handshake line, leaves stdout and stderr alone and also stops on SIGINT.
 *
 * @par Thread Safety
 * `stop()` and `wait_for_server_ready()` are safe from any thread; the rest is not.
 */
class server
{
public:
    /**
     * `defaults` holds the plugin's own settings (cookie, served versions, ...); the
     * environment overrides them in `serve` (see config.hpp for every variable).
     */
    server(asio::io_context& io, config defaults);
    /** As above, reading the environment through `env` instead of `getenv` (for tests). */
    server(asio::io_context& io, config defaults, env_lookup env);
    ~server();

    server(const server&) = delete;
    server& operator=(const server&) = delete;

    /** The gRPC server the application registers its services on. */
    grpc::server& services() noexcept { return grpc_; }
    /** The health service ("plugin" and "" are SERVING once serving). */
    health::service& health() noexcept { return health_; }
    /**
     * The broker, made by `serve` once the listener is set up (it needs the network, the
     * socket directory and TLS). Before that, throws `std::logic_error`.
     */
    broker& brokers();
    /** plugin.GRPCStdio: where captured output waits for the host. */
    stdio_service& stdio() noexcept { return stdio_; }
    /** The effective configuration (after `serve` read the environment). */
    const config& effective_config() const noexcept { return cfg_; }

    /**
     * Runs the plugin to its end and returns the process exit status: 1 when it never came
     * up (bad cookie, invalid configuration, no listener; the reason is on stderr), 0 after
     * a clean shutdown.
     *
     * Cancellation: not cancellable; use `stop()`.
     */
    asio::awaitable<int> serve();

    /**
     * Blocking form: ignores SIGINT (unless in debug mode, where `serve` catches it) and
     * SIGPIPE, runs the io_context until `serve` completes; returns the exit status.
     */
    int run();

    /** Starts the graceful drain (idempotent). */
    void stop();

    /**
     * Blocks until the plugin is ready or `timeout` has passed. Ready means: the listener
     * accepts, the handshake line (or the debug-mode reattach text) is printed, and a
     * `grpc.health.v1.Health/Check{service: "plugin"}` over the real transport answers
     * SERVING. The check connects like a host, with this library's client channel: over
     * the Unix socket or TCP port of the handshake line, with TLS when the plugin serves
     * TLS. Under AutoMTLS the server requires a client certificate that chains to the
     * host's `PLUGIN_CLIENT_CERT`; the check presents the plugin's own certificate instead,
     * which the server accepts as an exact match only (a TLS handshake with it proves
     * possession of the plugin's private key, which never leaves the process; no root is
     * added, so nothing else signed by that key is trusted). This was preferred over a
     * side door (a check that skips TLS, or an in-process call) because it tests what a
     * host will use. With `PLUGIN_HEALTH_SERVICE_ENABLED=false` any gRPC answer
     * (UNIMPLEMENTED) counts.
     *
     * Returns false on timeout, when the plugin failed to start, or once it is draining.
     * The first success is remembered; later calls only wait for the handshake line.
     * Must not be called from a thread that runs the server's io_context (the check runs
     * there): it returns false at once then.
     */
    bool wait_for_server_ready(std::chrono::milliseconds timeout);

    /**
     * The awaitable form of `wait_for_server_ready`, with the same meaning of ready: the
     * listener accepts, the handshake line is printed, and a health check over the real
     * transport answers. It waits on the awaiting coroutine's executor, which may be any
     * executor, a thread of the server's own io_context included (the blocking call cannot
     * run there).
     *
     * Completion: `bool`, true once ready; false on timeout, when the plugin failed to
     * start, or once it is draining. The first success is remembered, as for the blocking
     * call.
     * Cancellation: terminal cancellation of the awaiting coroutine ends the wait with
     * `operation_aborted` (thrown by the awaitable).
     * Thread safety: may be awaited from any thread, by any number of coroutines at once.
     */
    asio::awaitable<bool> ready(std::chrono::milliseconds timeout);

private:
    // The phases of `serve`, in order; a phase that fails logs why and returns false.
    struct startup;
    bool check_cookie(bool debug);
    bool configure(startup& s, asio::signal_set& signals);
    bool setup_tls(startup& s);
    bool open_listeners(startup& s);
    void add_internal_services(startup& s);
    bool prepare_stdio();
    bool announce(const startup& s);
    asio::awaitable<void> run_until_stopped(const startup& s);
    asio::awaitable<void> drain(asio::signal_set& signals);

    std::optional<std::string> announcement(const startup& s);
    void log_setting_error(const wire::error& e);
    asio::awaitable<void> watch_shutdown_file();
    asio::awaitable<int> fail(int code);
    asio::awaitable<bool> self_check(std::chrono::milliseconds timeout);
    void set_announced(bool ok);

    asio::io_context& io_;
    config defaults_;
    config cfg_;
    env_lookup env_;
    logger log_;
    grpc::server grpc_;
    health::service health_;
    stdio_service stdio_;
    std::unique_ptr<stdio_capture> capture_;
    std::unique_ptr<broker> broker_;
    std::unique_ptr<transport::listener> listener_;
    std::shared_ptr<asio::ssl::context> tls_;
    std::atomic<bool> stopping_{false};
    std::optional<asio::steady_timer> stop_signal_;

    // The self-check's target, set before the handshake line is announced.
    std::string self_target_;
    std::optional<tls::client_config> self_tls_;

    std::mutex ready_mutex_;
    std::condition_variable ready_cv_;
    std::optional<bool> announced_; // true: the line is printed; false: serve failed
    // The pending `ready()` waits, by id: each is woken (under ready_mutex_) when announced_
    // is set, and removes itself when it ends, so none outlives its executor's context.
    std::map<std::uint64_t, std::function<void()>> ready_waiters_;
    std::uint64_t next_ready_waiter_ = 0;
    bool verified_ = false; // a self-check succeeded
};
} // namespace rpcplugin::plugin
