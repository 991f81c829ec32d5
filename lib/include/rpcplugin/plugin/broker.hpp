#pragma once

/**
 * @file
 * go-plugin's GRPCBroker on the plugin side: extra gRPC servers and connections between
 * plugin and host, negotiated over the `plugin.GRPCBroker/StartStream` stream.
 */

#include "rpcplugin/asio.hpp"
#include "rpcplugin/grpc/channel.hpp"
#include "rpcplugin/grpc/server.hpp"
#include "rpcplugin/tls/context.hpp"
#include "rpcplugin/transport/listener.hpp"

#include <boost/asio/ssl/context.hpp>
#include <boost/system/result.hpp>

#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace rpcplugin::plugin
{
/**
 * The broker. `accept_and_serve` starts a new server and tells the host where it is;
 * `dial` waits for the host to announce a server under an id and connects to it.
 *
 * @par Thread Safety
 * Safe: every member may be called from any strand.
 */
class broker
{
public:
    /** How brokered listeners and connections are made. */
    struct settings
    {
        /** "unix" or "tcp", like the main listener. */
        std::string network = "unix";
        /** Directory for Unix sockets. */
        std::string socket_dir = "/tmp";
        /** Mode and group of brokered Unix sockets (as the main socket's). */
        transport::listen_options unix_options;
        /** Server TLS for brokered servers (nullptr: plaintext). */
        std::shared_ptr<asio::ssl::context> server_tls;
        /** Client TLS for dialing the host's brokered servers (unset: plaintext). */
        std::optional<tls::client_config> client_tls;
        /** How long `dial` waits for the host's ConnInfo. */
        std::chrono::milliseconds dial_timeout{5000};
        /** Options of brokered servers (logger, limits). */
        grpc::server_options server_options;
    };

    /** A broker whose listeners and channels run on `ex`. */
    broker(asio::any_io_executor ex, settings s);
    ~broker();

    /** A fresh id for `accept_and_serve` (the plugin's own sequence, from 1). */
    std::uint32_t next_id() noexcept { return ++last_id_; }

    /**
     * Listens on a new socket, registers services with `setup`, serves them, and sends the
     * host a ConnInfo for `id`. Fails when no listener can be made.
     */
    boost::system::result<void> accept_and_serve(std::uint32_t id,
                                                 const std::function<void(grpc::server&)>& setup);

    /**
     * Waits up to `dial_timeout` for the host's ConnInfo for `id`, then connects to it.
     * Completes with the channel, or an error (`asio::error::timed_out` when the host
     * never announced the id).
     */
    asio::awaitable<boost::system::result<std::shared_ptr<grpc::channel>>> dial(std::uint32_t id);

    /** Registers `plugin.GRPCBroker/StartStream` on the main server. */
    void add_to(grpc::server& srv);

    /** Drains the brokered servers and removes their sockets. */
    asio::awaitable<void> shutdown(std::chrono::milliseconds grace);

private:
    struct conn_info
    {
        std::uint32_t id;
        std::string network;
        std::string address;
    };
    struct served
    {
        std::unique_ptr<grpc::server> server;
        std::unique_ptr<transport::listener> listener;
    };

    asio::awaitable<grpc::status> stream(grpc::server_context& ctx);

    asio::any_io_executor ex_;
    settings settings_;
    std::atomic<std::uint32_t> last_id_{0};
    std::mutex mutex_;
    std::map<std::uint32_t, conn_info> announced_; // by the host, not yet dialed
    std::deque<conn_info> outgoing_;               // to the host
    std::function<void()> wake_writer_;            // set while a stream is open
    std::vector<served> servers_;
};
} // namespace rpcplugin::plugin
