#pragma once

/**
 * @file
 * The host side of go-plugin: launch a plugin (or reattach to a running one), read and
 * check its handshake, connect with AutoMTLS, relay its output, broker connections both
 * ways, and shut it down the go-plugin way.
 */

#include "rpcplugin/asio.hpp"
#include "rpcplugin/grpc/channel.hpp"
#include "rpcplugin/grpc/status.hpp"
#include "rpcplugin/host/broker.hpp"
#include "rpcplugin/host/config.hpp"
#include "rpcplugin/host/error.hpp"
#include "rpcplugin/host/process.hpp"
#include "rpcplugin/wire/reattach.hpp"
#include "rpcplugin/wire/certificate.hpp"
#include "rpcplugin/wire/handshake.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rpcplugin::host
{
/** The plugin executable and its arguments. */
struct command
{
    /** A path, or a name looked up in `PATH`. */
    std::string path;
    /** Arguments after `argv[0]`. */
    std::vector<std::string> args;
};

/** When the steps of a launch happened (steady clock; unset steps are the epoch). */
struct launch_timings
{
    /** The process was started (or the reattach began). */
    std::chrono::steady_clock::time_point started;
    /** The handshake line was read. */
    std::chrono::steady_clock::time_point handshake;
    /** The gRPC connection was up. */
    std::chrono::steady_clock::time_point connected;
};

/** What `shutdown` did. */
struct shutdown_result
{
    /** False for a reattached plugin: only the connections were closed. */
    bool owned = true;
    /** The answer to `plugin.GRPCController/Shutdown` (go-plugin ignores it; a Go plugin
        usually makes it UNAVAILABLE by stopping its server inside the call). */
    grpc::status controller;
    /** The plugin exited by itself within the kill grace period. */
    bool graceful = false;
    /** It did not, and was killed with SIGKILL. */
    bool killed = false;
    /** How it ended, when owned. */
    std::optional<exit_status> exit;
    /** From the start of `shutdown` to the exit (or to the end of the disconnect). */
    std::chrono::nanoseconds duration{0};
    /** Socket files the plugin left behind that the host removed. */
    std::vector<std::string> removed_sockets;
};

/**
 * A plugin, launched or reattached, and the gRPC connection to it.
 *
 * Launch (`launch`): the executable starts with go-plugin's environment (magic cookie,
 * `PLUGIN_PROTOCOL_VERSIONS`, `PLUGIN_MIN_PORT`/`MAX_PORT`, and `PLUGIN_CLIENT_CERT` with
 * AutoMTLS); its first stdout line is read within the start timeout and checked like
 * go-plugin does (`check_handshake_line`); the host connects over unix or tcp (retrying
 * a socket that does not accept yet with backoff), with mutual TLS under AutoMTLS; it
 * opens the broker stream and, when `consume_stdio`, `plugin.GRPCStdio/StreamStdio`
 * (UNIMPLEMENTED is fine and silent). Meanwhile the plugin's stderr is relayed line by line
 * (`client_config::on_log`) and later stdout lines are passed to `on_output`.
 *
 * Lifetime: the client owns a launched process. `shutdown` stops it the go-plugin way;
 * destroying the client without `shutdown` kills it (SIGKILL) at once. Either way the
 * process is reaped and Unix socket files it left behind (its main socket and the broker
 * sockets it announced) are removed. A reattached plugin is never stopped or signalled.
 *
 * @par Thread Safety
 * Not thread-safe. Use the client, its channel and its broker from coroutines on
 * `get_executor()` (a strand; the channel's own strand runs inside it), or run the
 * io_context on one thread. Callbacks run on that executor too. Destroy the client there
 * (or after the io_context stopped).
 */
class plugin_client : public std::enable_shared_from_this<plugin_client>
{
public:
    /** What `launch` and `reattach` complete with: the client, or why it did not start. */
    using result_type = boost::system::result<std::shared_ptr<plugin_client>, failure>;

    /**
     * Launches `cmd` and connects to it (see the class comment).
     *
     * Completes with the client, or a `failure`: `errc::spawn_failed`, `plugin_exited`
     * (with the exit status and the last stderr lines), `start_timeout`, a handshake error
     * (`unrecognized_handshake`, `core_version_mismatch`, `app_version_mismatch`,
     * `bad_address`, `unsupported_protocol`, `bad_server_certificate`,
     * `missing_server_certificate`), `tls_setup_failed` or `connect_failed`. After a
     * failure the process is gone (killed if needed) and reaped.
     *
     * Not a coroutine: `cmd` and `cfg` are copied before it returns, so temporaries are
     * fine. Cancellation: not cancellable (it is bounded by the start timeout and the
     * connect timeout).
     */
    static asio::awaitable<result_type> launch(asio::any_io_executor ex, const command& cmd,
                                               const client_config& cfg);

    /**
     * Connects to a running plugin described by `rc` (no environment, no handshake line,
     * plaintext as go-plugin's reattach), opens the broker and stdio streams. The client
     * does not own the plugin: `shutdown` only disconnects. Fails with `connect_failed`.
     *
     * Not a coroutine (arguments are copied). Cancellation: not cancellable.
     */
    static asio::awaitable<result_type>
    reattach(asio::any_io_executor ex, const wire::reattach_config& rc, const client_config& cfg);

    ~plugin_client();
    plugin_client(const plugin_client&) = delete;
    plugin_client& operator=(const plugin_client&) = delete;

    /** The strand the client runs on. */
    asio::any_io_executor get_executor() const noexcept { return ex_; }

    /** The accepted handshake (for a reattached plugin: built from the reattach config). */
    const wire::handshake_line& handshake() const noexcept { return handshake_; }
    /** The handshake line as printed (empty when reattached). */
    const std::string& handshake_text() const noexcept { return handshake_text_; }
    /** The connection: make typed stubs on it. */
    const std::shared_ptr<grpc::channel>& channel() const noexcept { return channel_; }
    /** The broker (go-plugin's `GRPCBroker`). */
    host::broker& broker() noexcept { return *broker_; }

    /** True when the client launched the plugin (and will stop it). */
    bool owns_process() const noexcept { return child_ != nullptr; }
    /** The plugin's process id (from the reattach config when reattached; 0 unknown). */
    long pid() const noexcept { return pid_; }
    /** How the process ended, once it did (launched plugins only). */
    std::optional<exit_status> exit() const;
    /** The host's AutoMTLS certificate, when AutoMTLS is on. */
    const std::optional<wire::generated_certificate>& host_certificate() const noexcept
    {
        return host_cert_;
    }
    /** When the launch steps happened. */
    const launch_timings& timings() const noexcept { return timings_; }
    /** The last stderr lines of the plugin (raw, oldest first; at most 20). */
    std::vector<std::string> stderr_tail() const { return {tail_.begin(), tail_.end()}; }
    /** The end of the GRPCStdio stream, once it ended (UNIMPLEMENTED: not served). */
    const std::optional<grpc::status>& stdio_result() const noexcept { return stdio_result_; }

    /**
     * go-plugin's `Ping`: `grpc.health.v1.Health/Check{service: "plugin"}`; only the call's
     * status matters. Bounded by the channel's connect timeout.
     * Cancellation: terminal cancellation ends the call with CANCELLED.
     */
    asio::awaitable<grpc::status> ping();

    /**
     * Stops the plugin like go-plugin's `Client.Kill`: closes the broker, calls
     * `plugin.GRPCController/Shutdown` (bounded by the kill grace period; its answer is
     * recorded, not required), closes the connection, waits up to the kill grace period
     * (2 s) for the exit, then SIGKILLs. Always reaps the process and removes the socket
     * files it left. For a reattached plugin only the connections are closed.
     * Idempotent: a later or concurrent call completes with the first call's result.
     *
     * Cancellation: not cancellable (bounded by about twice the kill grace period).
     */
    asio::awaitable<shutdown_result> shutdown();

    /** Internal (use `launch` / `reattach`). */
    plugin_client(asio::any_io_executor ex, client_config cfg);

private:
    static asio::awaitable<result_type> do_launch(std::shared_ptr<plugin_client> self, command cmd);
    static asio::awaitable<result_type> do_reattach(std::shared_ptr<plugin_client> self,
                                                    wire::reattach_config rc);
    static asio::awaitable<void> read_stdout(std::weak_ptr<plugin_client> weak,
                                             std::shared_ptr<child_process> child);
    static asio::awaitable<void> read_stderr(std::weak_ptr<plugin_client> weak,
                                             std::shared_ptr<child_process> child);
    static asio::awaitable<void> watch_exit(std::weak_ptr<plugin_client> weak,
                                            std::shared_ptr<child_process> child);
    static asio::awaitable<void> read_stdio(std::weak_ptr<plugin_client> weak,
                                            std::shared_ptr<grpc::channel> ch);

    static asio::awaitable<void> run_broker(std::shared_ptr<host::broker> b,
                                            std::shared_ptr<grpc::channel> ch);

    // The phases of do_launch: start the process (environment, AutoMTLS certificate, spawn,
    // output readers), wait for its handshake line, check it, then connect.
    boost::system::result<void, failure> start_process(command cmd);
    asio::awaitable<std::optional<failure>> wait_for_handshake_line();
    std::optional<failure> accept_handshake_line();
    asio::awaitable<boost::system::result<void, failure>> connect(const std::string& target);
    asio::awaitable<void> wait_for(std::chrono::steady_clock::time_point deadline);
    asio::awaitable<void> wait_for_output_end(std::chrono::milliseconds limit);
    asio::awaitable<failure> abandon(const failure& reason);
    void notify() { signal_.cancel(); }
    void on_stderr_line(const std::string& line);
    void on_stdout_line(std::string line);
    void emit_output(output_source src, std::string_view data);
    std::vector<std::string> remove_leftover_sockets();

    asio::any_io_executor ex_;
    client_config cfg_;
    command cmd_;
    std::shared_ptr<child_process> child_;
    long pid_ = 0;
    std::optional<wire::generated_certificate> host_cert_;
    std::string handshake_text_;
    wire::handshake_line handshake_;
    std::shared_ptr<grpc::channel> channel_;
    std::shared_ptr<host::broker> broker_;
    launch_timings timings_;

    // Filled by the background readers; `signal_` is cancelled on every change.
    asio::steady_timer signal_;
    std::optional<std::string> first_line_;
    bool stdout_eof_ = false;
    bool stderr_eof_ = false;
    std::optional<exit_status> exit_;
    std::deque<std::string> tail_;
    log_line_parser log_parser_;
    std::optional<grpc::status> stdio_result_;

    bool shut_down_ = false;        // the process is no longer the destructor's to kill
    bool shutdown_started_ = false; // shutdown() runs
    std::optional<shutdown_result> shutdown_result_;
};
} // namespace rpcplugin::host
