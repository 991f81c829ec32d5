#include "echo_service.hpp"

#include "proc_stats.hpp"

#include <rpcplugin/transport/listener.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <stdexcept>

namespace bench
{
namespace asio = boost::asio;
namespace rg = rpcplugin::grpc;
using rpcplugin::bench::Payload;

asio::awaitable<rg::status> echo_service::Unary(rg::server_context&, const Payload& request,
                                                Payload& response)
{
    response.set_data(request.data());
    co_return rg::status();
}

asio::awaitable<rg::status>
echo_service::ServerStream(rg::server_context&, const rpcplugin::bench::StreamRequest& request,
                           rg::server_writer<Payload>& writer)
{
    if (static_cast<unsigned long long>(request.size()) * request.count() > max_stream_bytes)
        co_return rg::status(rg::status_code::invalid_argument, "size * count over 1 GiB");
    Payload p;
    p.mutable_data()->assign(request.size(), 'x');
    for (std::uint32_t i = 0; i < request.count(); ++i)
    {
        bool ok = co_await writer.write(p);
        if (!ok)
            co_return rg::status(rg::status_code::cancelled, "stream ended by the client");
    }
    co_return rg::status();
}

asio::awaitable<rg::status> echo_service::Bidi(rg::server_context&,
                                               rg::server_stream<Payload, Payload>& stream)
{
    Payload p;
    for (;;)
    {
        bool got = co_await stream.read(p);
        if (!got)
            break;
        bool ok = co_await stream.write(p);
        if (!ok)
            co_return rg::status(rg::status_code::cancelled, "stream ended by the client");
    }
    co_return rg::status();
}

echo_server::echo_server(const rpcplugin::transport::endpoint& ep,
                         const std::optional<rpcplugin::tls::server_config>& tls)
{
    rpcplugin::bench::Echo::register_service(server_, service_);
    if (tls)
    {
        auto ctx = rpcplugin::tls::make_server_context(*tls);
        if (!ctx)
            throw std::runtime_error("TLS setup failed: " + ctx.error().message());
        tls_ = *ctx;
    }
    auto l = rpcplugin::transport::listener::bind(io_.get_executor(), ep);
    if (!l)
        throw std::runtime_error("cannot listen on " + ep.to_string() + ": " + l.error().message());
    listener_.emplace(std::move(*l));
}

echo_server::~echo_server()
{
    stop();
}

std::string echo_server::address() const
{
    return listener_->local_endpoint().to_string();
}

void echo_server::run(bool signals)
{
    std::optional<asio::signal_set> sigs;
    if (signals)
    {
        sigs.emplace(io_, SIGINT, SIGTERM);
        sigs->async_wait(
            [this](boost::system::error_code ec, int)
            {
                if (!ec)
                    stop();
            });
    }
    asio::co_spawn(io_, server_.serve(*listener_, tls_), asio::detached);
    io_.run();
}

void echo_server::start_thread(int cpu)
{
    thread_ = std::thread(
        [this, cpu]
        {
            if (cpu >= 0)
                pin_this_thread(cpu);
            run(false);
        });
}

void echo_server::stop()
{
    asio::post(io_,
               [this]
               {
                   listener_->close();
                   io_.stop();
               });
    if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id())
        thread_.join();
}
} // namespace bench
