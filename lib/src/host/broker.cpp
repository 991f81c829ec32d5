#include "rpcplugin/host/broker.hpp"

#include "rpcplugin/host/error.hpp"
#include "rpcplugin/wire/handshake.hpp"

#include "plugin/grpc_broker.pb.h"

#include "detail/log_exceptions.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/this_coro.hpp>

#include <random>

namespace rpcplugin::host
{
using boost::system::error_code;
using namespace asio::experimental::awaitable_operators;

namespace
{
std::string random_socket_path(const std::string& dir)
{
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    return dir + "/broker" + std::to_string(rng() % 1000000000ull);
}

template <class Served>
asio::awaitable<void> serve_one(std::shared_ptr<Served> s, std::shared_ptr<asio::ssl::context> tls)
{
    co_await s->server->serve(*s->listener, tls);
}

template <class Served>
asio::awaitable<void> stop_one(std::shared_ptr<Served> s, std::chrono::milliseconds grace)
{
    co_await s->server->drain(grace);
    s->listener->close();
}
} // namespace

broker::broker(asio::any_io_executor ex, settings s)
    : ex_(ex)
    , settings_(std::move(s))
    , announce_signal_(ex, std::chrono::steady_clock::time_point::max())
    , outgoing_signal_(ex, std::chrono::steady_clock::time_point::max())
{
}

broker::~broker()
{
    if (stream_)
        stream_->cancel();
    // Servers outlive their connections: drain them in the background (their coroutines
    // hold the server), or, when the executor never runs again, drop them with it.
    for (auto& s : servers_)
    {
        s->listener->close();
        asio::co_spawn(ex_, stop_one(std::move(s), std::chrono::milliseconds(0)),
                       rpcplugin::detail::log_exceptions(settings_.server_options.log,
                                                         "rpcplugin.host",
                                                         "stopping a brokered server"));
    }
}

void broker::notify_dialers()
{
    announce_signal_.cancel();
}

void broker::expire_announcements()
{
    const auto now = std::chrono::steady_clock::now();
    for (auto it = announced_.begin(); it != announced_.end();)
    {
        if (now - it->second.received > settings_.dial_timeout)
            it = announced_.erase(it);
        else
            ++it;
    }
}

boost::system::result<void>
broker::accept_and_serve(std::uint32_t id, const std::function<void(grpc::server&)>& setup)
{
    if (closed_)
        return error_code(errc::shut_down);
    const bool unix = settings_.network == "unix";
    transport::endpoint ep =
        unix ? transport::unix_endpoint(random_socket_path(settings_.socket_dir))
             : transport::tcp_endpoint("127.0.0.1", 0);
    auto l = transport::listener::bind(ex_, ep);
    if (!l)
        return l.error();
    auto s = std::make_shared<served>();
    s->listener = std::make_unique<transport::listener>(std::move(*l));
    s->server = std::make_unique<grpc::server>(settings_.server_options);
    setup(*s->server);
    const auto& local = s->listener->local_endpoint();
    std::string address = unix ? local.path : "127.0.0.1:" + std::to_string(local.port);
    asio::co_spawn(ex_, serve_one(s, settings_.server_tls),
                   rpcplugin::detail::log_exceptions(settings_.server_options.log, "rpcplugin.host",
                                                     "a brokered gRPC server"));
    servers_.push_back(std::move(s));
    outgoing_.emplace_back(id, std::move(address));
    outgoing_signal_.cancel();
    return {};
}

asio::awaitable<boost::system::result<std::shared_ptr<grpc::channel>>>
broker::dial(std::uint32_t id)
{
    const auto deadline = std::chrono::steady_clock::now() + settings_.dial_timeout;
    std::optional<conn_info> info;
    for (;;)
    {
        if (closed_)
            co_return error_code(errc::shut_down);
        expire_announcements();
        if (auto it = announced_.find(id); it != announced_.end())
        {
            info = std::move(it->second);
            announced_.erase(it);
            break;
        }
        if (std::chrono::steady_clock::now() >= deadline)
            co_return error_code(asio::error::timed_out);
        asio::steady_timer timeout(ex_, deadline);
        co_await (announce_signal_.async_wait(use_tuple) || timeout.async_wait(use_tuple));
        auto cs = co_await asio::this_coro::cancellation_state;
        if (cs.cancelled() != asio::cancellation_type::none)
            co_return error_code(asio::error::operation_aborted);
    }
    std::string target = wire::dial_target(info->network, info->address);
    co_return co_await grpc::channel::connect(ex_, target, settings_.channel);
}

asio::awaitable<grpc::status> broker::run(std::shared_ptr<grpc::channel> ch)
{
    std::string path = "/plugin.GRPCBroker/StartStream";
    grpc::call_options opts;
    auto call = ch->start_call(path, opts);
    stream_ = call;

    auto reader = [this, call]() -> asio::awaitable<void>
    {
        for (;;)
        {
            ::plugin::ConnInfo in;
            bool got = co_await call->read(in);
            if (!got)
                co_return;
            if (in.network() == "unix" && !in.address().empty())
                plugin_paths_.push_back(in.address());
            announced_[in.service_id()] =
                conn_info{in.network(), in.address(), std::chrono::steady_clock::now()};
            notify_dialers();
        }
    };
    auto writer = [this, call]() -> asio::awaitable<void>
    {
        for (;;)
        {
            while (!outgoing_.empty())
            {
                auto [id, address] = std::move(outgoing_.front());
                outgoing_.pop_front();
                ::plugin::ConnInfo out;
                out.set_service_id(id);
                out.set_network(settings_.network);
                out.set_address(address);
                grpc::write_options wo;
                bool ok = co_await call->write(out, wo);
                if (!ok)
                    co_return;
            }
            // outgoing_signal_ is woken by cancel(): tell a notification from the reader's
            // end (the || below cancels this coroutine) by the cancellation state.
            co_await outgoing_signal_.async_wait(use_tuple);
            auto cs = co_await asio::this_coro::cancellation_state;
            if (closed_ || cs.cancelled() != asio::cancellation_type::none)
                co_return;
        }
    };
    co_await (reader() || writer());
    call->cancel();
    grpc::status st = co_await call->finish();
    if (stream_ == call)
        stream_ = nullptr;
    co_return st;
}

asio::awaitable<void> broker::close(std::chrono::milliseconds grace)
{
    if (closed_)
        co_return;
    closed_ = true;
    if (stream_)
        stream_->cancel();
    outgoing_signal_.cancel();
    notify_dialers();
    std::vector<std::shared_ptr<served>> servers;
    servers.swap(servers_);
    for (auto& s : servers)
    {
        co_await s->server->drain(grace);
        s->listener->close();
    }
}
} // namespace rpcplugin::host
