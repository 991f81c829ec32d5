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

#include <boost/asio/io_context.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>

namespace rpcplugin::plugin
{
/**
 * RPCPluginServer: checks the magic cookie, negotiates the protocol version, listens on a
 * Unix socket or TCP port, sets up AutoMTLS, serves go-plugin's internal services
 * (grpc.health.v1, plugin.GRPCController, plugin.GRPCBroker) beside the application's,
 * prints the handshake line, and runs until a graceful drain (SIGTERM,
 * Controller.Shutdown, the shutdown file, or `stop()`).
 *
 * Register application services on `services()` before `serve`.
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
    ~server();

    server(const server&) = delete;
    server& operator=(const server&) = delete;

    /** The gRPC server the application registers its services on. */
    grpc::server& services() noexcept { return grpc_; }
    /** The health service ("plugin" and "" are SERVING once serving). */
    health::service& health() noexcept { return health_; }
    /** The broker; valid once `serve` has set up the listener. */
    broker& brokers() { return *broker_; }
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

    /** Blocking form: runs the io_context until `serve` completes; returns the exit status. */
    int run();

    /** Starts the graceful drain (idempotent). */
    void stop();

    /**
     * Waits until the server accepts connections and the handshake line is printed.
     * Returns false on timeout or if the server failed to start.
     */
    bool wait_for_server_ready(std::chrono::milliseconds timeout);

private:
    asio::awaitable<void> watch_shutdown_file();
    asio::awaitable<int> fail(int code);
    void set_ready(bool ok);

    asio::io_context& io_;
    config defaults_;
    config cfg_;
    logger log_;
    grpc::server grpc_;
    health::service health_;
    std::unique_ptr<broker> broker_;
    std::unique_ptr<transport::listener> listener_;
    std::shared_ptr<asio::ssl::context> tls_;
    std::atomic<bool> stopping_{false};
    std::optional<asio::steady_timer> stop_signal_;

    std::mutex ready_mutex_;
    std::condition_variable ready_cv_;
    std::optional<bool> ready_;
};
} // namespace rpcplugin::plugin
