#pragma once

/**
 * @file
 * A grpc::server on a Unix socket in a private directory, served on a test's io_context,
 * and a helper that connects client channels to it.
 */

#include "support/temp_dir.hpp"

#include <rpcplugin/grpc/channel.hpp>
#include <rpcplugin/grpc/server.hpp>
#include <rpcplugin/transport/endpoint.hpp>
#include <rpcplugin/transport/listener.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <memory>
#include <stdexcept>
#include <string>

namespace rpcplugin::test
{
/** Binds `unix:<tmp>/server.sock` and serves `srv` on `io` once `start()` is called. */
class local_server
{
public:
    local_server(boost::asio::io_context& io, grpc::server& srv)
        : io_(io)
        , srv_(srv)
        , path_(dir_.file("server.sock"))
        , listener_(
              transport::listener::bind(io.get_executor(), transport::unix_endpoint(path_)).value())
    {
    }

    ~local_server()
    {
        listener_.close();
        io_.restart();
        io_.poll();
    }

    /** Starts accepting; call after registering methods and stages. */
    void start() { boost::asio::co_spawn(io_, srv_.serve(listener_), boost::asio::detached); }

    /** The target for `channel::connect`. */
    std::string target() const { return "unix:" + path_; }

    /** Connects a channel (throws on failure). Completes on the channel's strand. */
    boost::asio::awaitable<std::shared_ptr<grpc::channel>> connect()
    {
        auto r = co_await grpc::channel::connect(io_.get_executor(), target());
        if (!r)
            throw std::runtime_error("connect failed: " + r.error().message());
        co_return *r;
    }

private:
    boost::asio::io_context& io_;
    grpc::server& srv_;
    temp_dir dir_;
    std::string path_;
    transport::listener listener_;
};
} // namespace rpcplugin::test
