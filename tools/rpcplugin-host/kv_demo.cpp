#include "kv_demo.hpp"

#include "kv/kv.pb.h"

#include <memory>
#include <vector>

namespace rpcplugin_host
{
namespace rg = rpcplugin::grpc;
using rpcplugin::asio::awaitable;
using clock = std::chrono::steady_clock;

namespace
{
std::string status_text(const rg::status& s)
{
    std::string out(rg::to_string(s.code()));
    if (!s.message().empty())
        out += ": " + s.message();
    return out;
}

struct helper_calls
{
    std::vector<std::pair<std::int64_t, std::int64_t>> sums;
};

awaitable<demo_step> host_to_plugin(rpcplugin::host::plugin_client& client,
                                    const rg::call_options& opts)
{
    demo_step step;
    step.name = "broker: plugin calls the host";
    const auto t0 = clock::now();
    auto& ch = *client.channel();
    std::string put_path = "/kv.KV/Put";
    std::string get_path = "/kv.KV/Get";
    kv::PutRequest put;
    put.set_key("n");
    put.set_value("2");
    kv::Empty empty;
    rg::status s = co_await ch.unary(put_path, put, empty, opts);
    if (!s.ok())
    {
        step.detail = "Put(n, 2): " + status_text(s);
        co_return step;
    }
    auto calls = std::make_shared<helper_calls>();
    const std::uint32_t id = client.broker().next_id();
    auto served = client.broker().accept_and_serve(
        id,
        [calls](rg::server& srv)
        {
            srv.add_unary<kv::SumRequest, kv::SumResponse>(
                "/kv.Helper/Sum",
                [calls](rg::server_context&, const kv::SumRequest& req,
                        kv::SumResponse& resp) -> awaitable<rg::status>
                {
                    calls->sums.emplace_back(req.a(), req.b());
                    std::int64_t r = 0;
                    if (__builtin_add_overflow(req.a(), req.b(), &r))
                        co_return rg::status(rg::status_code::out_of_range, "sum overflows int64");
                    resp.set_r(r);
                    co_return rg::status();
                });
        });
    if (!served)
    {
        step.detail = "cannot serve kv.Helper: " + served.error().message();
        co_return step;
    }
    put.set_value("40");
    put.set_add_server(id);
    s = co_await ch.unary(put_path, put, empty, opts);
    if (!s.ok())
    {
        step.detail = "Put(n, 40, add_server=" + std::to_string(id) + "): " + status_text(s);
        co_return step;
    }
    kv::GetRequest get;
    get.set_key("n");
    kv::GetResponse got;
    s = co_await ch.unary(get_path, get, got, opts);
    step.elapsed = clock::now() - t0;
    if (!s.ok())
    {
        step.detail = "Get(n): " + status_text(s);
        co_return step;
    }
    const bool one_call =
        calls->sums.size() == 1 && calls->sums[0] == std::pair<std::int64_t, std::int64_t>(2, 40);
    step.ok = got.value() == "42" && one_call;
    step.detail = "host serves kv.Helper on broker id " + std::to_string(id) +
                  "; Put(n, 40, add_server=" + std::to_string(id) + "): the plugin dialed it, " +
                  (calls->sums.empty() ? std::string("but never called Helper.Sum")
                                       : "Helper.Sum(" + std::to_string(calls->sums[0].first) +
                                             ", " + std::to_string(calls->sums[0].second) + ")") +
                  "; Get(n) = \"" + got.value() + "\"" +
                  (step.ok ? "" : " (want \"42\" after one Sum(2, 40))");
    co_return step;
}

awaitable<demo_step> plugin_to_host(rpcplugin::host::plugin_client& client,
                                    const rg::call_options& opts)
{
    demo_step step;
    step.name = "broker: host calls the plugin";
    const auto t0 = clock::now();
    std::string start_path = "/kv.KV/StartCounter";
    kv::StartCounterRequest start;
    start.set_initial(100);
    kv::StartCounterResponse started;
    rg::status s = co_await client.channel()->unary(start_path, start, started, opts);
    if (!s.ok())
    {
        step.detail = "StartCounter(100): " + status_text(s);
        co_return step;
    }
    auto ch = co_await client.broker().dial(started.broker_id());
    if (!ch)
    {
        step.detail = "StartCounter(100) = broker id " + std::to_string(started.broker_id()) +
                      "; dial: " + ch.error().message();
        co_return step;
    }
    std::string add_path = "/kv.Counter/Add";
    kv::AddRequest add;
    add.set_delta(5);
    kv::AddResponse total;
    s = co_await (*ch)->unary(add_path, add, total, opts);
    (*ch)->close();
    step.elapsed = clock::now() - t0;
    if (!s.ok())
    {
        step.detail = "Counter.Add(5): " + status_text(s);
        co_return step;
    }
    step.ok = total.total() == 105;
    step.detail = "StartCounter(100): the plugin serves kv.Counter on broker id " +
                  std::to_string(started.broker_id()) +
                  "; the host dialed it, Counter.Add(5) = " + std::to_string(total.total()) +
                  (step.ok ? "" : " (want 105)");
    co_return step;
}
} // namespace

awaitable<std::vector<demo_step>> run_kv_demo(rpcplugin::host::plugin_client& client,
                                              std::chrono::milliseconds timeout)
{
    rg::call_options opts;
    // A callback Put may wait up to the broker's 5 s dial timeout inside the plugin.
    opts.timeout = timeout + std::chrono::seconds(5);
    std::vector<demo_step> steps;
    steps.push_back(co_await host_to_plugin(client, opts));
    steps.push_back(co_await plugin_to_host(client, opts));
    co_return steps;
}
} // namespace rpcplugin_host
