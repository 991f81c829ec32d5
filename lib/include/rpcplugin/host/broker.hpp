#pragma once

/**
 * @file
 * go-plugin's GRPCBroker on the host side: extra gRPC servers and connections between host
 * and plugin, negotiated over the `plugin.GRPCBroker/StartStream` stream the host opens.
 */

#include "rpcplugin/asio.hpp"
#include "rpcplugin/grpc/channel.hpp"
#include "rpcplugin/grpc/server.hpp"
#include "rpcplugin/tls/context.hpp"
#include "rpcplugin/transport/listener.hpp"

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace rpcplugin::host
{
/**
 * The host's broker, like go-plugin's `GRPCBroker` in a host:
 *
 * - `accept_and_serve(id, setup)` starts a gRPC server on a new listener and announces it
 *   to the plugin as `ConnInfo{id, network, address}` on the broker stream; the plugin's
 *   `Dial(id)` connects to it (the plugin calls back into the host);
 * - `dial(id)` waits for the plugin to announce a server under `id` (its
 *   `AcceptAndServe`) and connects to it.
 *
 * Ids are per side: `next_id()` counts from 1 for the host; the plugin has its own
 * sequence. Under AutoMTLS, brokered servers present the host certificate and require the
 * plugin's; dialed connections present the host certificate and verify the plugin's for
 * `localhost`. A ConnInfo not claimed by a `dial` within the dial timeout is dropped.
 *
 * @par Thread Safety
 * Not thread-safe: use it on the executor it was made with (the plugin client's).
 */
class broker
{
public:
    /** How brokered listeners and connections are made. */
    struct settings
    {
        /** `unix` or `tcp`: like the plugin's main listener. */
        std::string network = "unix";
        /** Directory of the host's brokered Unix sockets. */
        std::string socket_dir = "/tmp";
        /** Server TLS of brokered servers (nullptr: plaintext). */
        std::shared_ptr<asio::ssl::context> server_tls;
        /** Channel options for dialed connections (TLS included when set). */
        grpc::channel_options channel;
        /** How long `dial` waits for the plugin's ConnInfo (go-plugin: 5 s). */
        std::chrono::milliseconds dial_timeout{5000};
        /** Options of brokered servers (logger, limits). */
        grpc::server_options server_options;
    };

    /** A broker whose listeners and channels run on `ex`. */
    broker(asio::any_io_executor ex, settings s);
    ~broker();
    broker(const broker&) = delete;
    broker& operator=(const broker&) = delete;

    /** A fresh id for `accept_and_serve` (1, 2, ...). */
    std::uint32_t next_id() noexcept { return ++last_id_; }

    /**
     * Listens on a new socket, registers services with `setup`, serves them, and queues
     * the ConnInfo for `id` to the plugin. Fails when no listener can be made, or after
     * `close()` (`errc::shut_down`).
     */
    boost::system::result<void> accept_and_serve(std::uint32_t id,
                                                 const std::function<void(grpc::server&)>& setup);

    /**
     * Waits up to the dial timeout for the plugin's ConnInfo for `id`, then connects.
     *
     * Completes with the channel, or `asio::error::timed_out` (never announced),
     * `errc::shut_down` (the broker closed meanwhile) or the connect error.
     * Cancellation: terminal cancellation aborts the wait (`operation_aborted`) or the
     * connect.
     */
    asio::awaitable<boost::system::result<std::shared_ptr<grpc::channel>>> dial(std::uint32_t id);

    /**
     * Runs the broker stream on `ch` (`plugin.GRPCBroker/StartStream`): sends queued
     * ConnInfos, records the plugin's. Completes when the stream ends (the plugin or the
     * connection closed it, or `close()`), with its status.
     * Cancellation: not cancellable; use `close()`.
     */
    asio::awaitable<grpc::status> run(std::shared_ptr<grpc::channel> ch);

    /**
     * Ends the stream, stops the brokered servers (calls in flight get `grace`), and
     * removes their socket files. Idempotent. Pending `dial`s fail with `errc::shut_down`.
     */
    asio::awaitable<void> close(std::chrono::milliseconds grace);

    /** The Unix socket paths the plugin announced (to clean up after a killed plugin). */
    const std::vector<std::string>& plugin_socket_paths() const noexcept { return plugin_paths_; }

    /** True while the broker stream is open. */
    bool stream_open() const noexcept { return stream_ != nullptr; }

private:
    struct conn_info
    {
        std::string network;
        std::string address;
        std::chrono::steady_clock::time_point received;
    };
    struct served
    {
        std::unique_ptr<grpc::server> server;
        std::unique_ptr<transport::listener> listener;
    };

    void notify_dialers();
    void expire_announcements();

    asio::any_io_executor ex_;
    settings settings_;
    std::uint32_t last_id_ = 0;
    bool closed_ = false;
    std::map<std::uint32_t, conn_info> announced_;
    std::deque<std::pair<std::uint32_t, std::string>> outgoing_; // id, address
    std::vector<std::string> plugin_paths_;
    std::vector<std::shared_ptr<served>> servers_;
    std::shared_ptr<grpc::client_call> stream_;
    asio::steady_timer announce_signal_; // cancelled when a ConnInfo arrives
    asio::steady_timer outgoing_signal_; // cancelled when a ConnInfo is queued
};
} // namespace rpcplugin::host
