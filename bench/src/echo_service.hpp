#pragma once

/**
 * @file
 * rpcplugin.bench.Echo on rpcplugin (bench/proto/bench/echo.proto), and a server that
 * runs it on its own thread for in-process measurements.
 */

#include "bench/echo.rpcplugin.pb.h"

#include <rpcplugin/grpc/server.hpp>
#include <rpcplugin/tls/context.hpp>
#include <rpcplugin/transport/endpoint.hpp>

#include <boost/asio/io_context.hpp>

#include <memory>
#include <optional>
#include <pthread.h>
#include <string>
#include <thread>

namespace bench
{
/** The echo service: Unary answers with the request, ServerStream sends `count` payloads
    of `size` bytes, Bidi echoes each message. */
class echo_service final : public rpcplugin::bench::Echo::Service
{
public:
    boost::asio::awaitable<rpcplugin::grpc::status>
    Unary(rpcplugin::grpc::server_context& context, const rpcplugin::bench::Payload& request,
          rpcplugin::bench::Payload& response) override;

    boost::asio::awaitable<rpcplugin::grpc::status>
    ServerStream(rpcplugin::grpc::server_context& context,
                 const rpcplugin::bench::StreamRequest& request,
                 rpcplugin::grpc::server_writer<rpcplugin::bench::Payload>& writer) override;

    boost::asio::awaitable<rpcplugin::grpc::status>
    Bidi(rpcplugin::grpc::server_context& context,
         rpcplugin::grpc::server_stream<rpcplugin::bench::Payload, rpcplugin::bench::Payload>&
             stream) override;
};

/** Largest `size * count` a ServerStream request may ask for (1 GiB). */
inline constexpr unsigned long long max_stream_bytes = 1ull << 30;

/**
 * The echo server on a listener, served by `threads` threads of its own io_context.
 * Used by rpcplugin-bench-server and by rpcplugin-bench --in-process.
 */
class echo_server
{
public:
    /** Binds `ep` (TLS when `tls` is set). Throws std::runtime_error on failure. */
    echo_server(const rpcplugin::transport::endpoint& ep,
                const std::optional<rpcplugin::tls::server_config>& tls);
    ~echo_server();

    echo_server(const echo_server&) = delete;
    echo_server& operator=(const echo_server&) = delete;

    /** The bound endpoint as `unix:PATH` or `HOST:PORT`. */
    std::string address() const;

    /** Serves on the calling thread until `stop()` (or SIGINT/SIGTERM with `signals`). */
    void run(bool signals);
    /** Serves on a new thread pinned to `cpu` (-1: not pinned). */
    void start_thread(int cpu);
    /** The thread started by `start_thread`. */
    pthread_t native_thread() { return thread_.native_handle(); }
    /** Stops serving; joins the thread of `start_thread`. Idempotent. */
    void stop();

private:
    // Destroyed bottom-up: the io_context (with the coroutine frames it still holds) goes
    // after the listener it serves and before the server those frames refer to.
    echo_service service_;
    rpcplugin::grpc::server server_;
    std::shared_ptr<boost::asio::ssl::context> tls_;
    boost::asio::io_context io_{1};
    std::optional<rpcplugin::transport::listener> listener_;
    std::thread thread_;
};
} // namespace bench
