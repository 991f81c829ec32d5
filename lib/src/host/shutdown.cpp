// plugin_client: Ping and the go-plugin shutdown sequence.
#include "rpcplugin/host/plugin_client.hpp"

#include "grpc/health/v1/health.pb.h"
#include "plugin/grpc_controller.pb.h"

namespace rpcplugin::host
{
using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

namespace
{
constexpr std::string_view log_module = "rpcplugin.host";
} // namespace

asio::awaitable<grpc::status> plugin_client::ping()
{
    if (!channel_)
        co_return grpc::status(grpc::status_code::unavailable, "not connected");
    std::string path = "/grpc.health.v1.Health/Check";
    ::grpc::health::v1::HealthCheckRequest req;
    req.set_service("plugin");
    ::grpc::health::v1::HealthCheckResponse resp;
    grpc::call_options opts;
    opts.timeout = cfg_.channel.connect_timeout;
    co_return co_await channel_->unary(path, req, resp, opts);
}

asio::awaitable<shutdown_result> plugin_client::shutdown()
{
    if (shutdown_result_)
        co_return *shutdown_result_;
    if (shutdown_started_)
    {
        // Another shutdown is under way: its result is ours.
        while (!shutdown_result_)
            co_await wait_for(clock::now() + 1s);
        co_return *shutdown_result_;
    }
    shutdown_started_ = true;
    shut_down_ = true;
    const auto t0 = clock::now();
    shutdown_result r;
    r.owned = child_ != nullptr;

    // 1. The broker: its stream and brokered servers (go-plugin's GRPCClient.Close).
    if (broker_)
        co_await broker_->close(0ms);

    // 2. Controller.Shutdown, owned plugins only; the answer is recorded, not required.
    if (r.owned && channel_ && !exit_)
    {
        std::string path = "/plugin.GRPCController/Shutdown";
        ::plugin::Empty req;
        ::plugin::Empty resp;
        grpc::call_options opts;
        opts.timeout = cfg_.kill_grace;
        r.controller = co_await channel_->unary(path, req, resp, opts);
        cfg_.log.log(log_level::debug, log_module, "Controller.Shutdown answered",
                     {{"status", grpc::to_string(r.controller.code())}});
    }
    if (channel_)
        channel_->close();

    if (r.owned)
    {
        // 3. Up to the grace period for the exit, then SIGKILL.
        const auto deadline = clock::now() + cfg_.kill_grace;
        while (!exit_ && clock::now() < deadline)
            co_await wait_for(deadline);
        if (exit_)
            r.graceful = true;
        else
        {
            cfg_.log.log(log_level::warn, log_module, "plugin failed to exit gracefully",
                         {{"path", cmd_.path}});
            child_->kill();
            r.killed = true;
            const auto hard = clock::now() + 5s;
            while (!exit_ && clock::now() < hard)
                co_await wait_for(hard);
        }
        r.duration = clock::now() - t0;
        // 4. The last output, the reaping, and socket files a killed plugin left.
        co_await wait_for_output_end(500ms);
        auto st = child_->kill_and_reap();
        if (!exit_)
            exit_ = st;
        child_->close_pipes();
        r.exit = exit_;
        r.removed_sockets = remove_leftover_sockets();
        for (const auto& path : r.removed_sockets)
            cfg_.log.log(log_level::debug, log_module, "removed the plugin's socket file",
                         {{"path", path}});
    }
    else
        r.duration = clock::now() - t0;
    shutdown_result_ = r;
    notify();
    co_return r;
}
} // namespace rpcplugin::host
