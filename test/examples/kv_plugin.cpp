// rpcplugin-kv-plugin: the example go-plugin plugin (proto/kv/kv.proto has the contract).
// A go-plugin host launches it with the magic cookie RPCPLUGIN_KV_PLUGIN=kv. Started by
// hand with --debug (or PLUGIN_DEBUG=1) it runs in debug mode and prints the
// TF_REATTACH_PROVIDERS value a host needs to attach to it.
#include <rpcplugin/plugin/reattach.hpp>
#include <rpcplugin/plugin/server.hpp>

#include <boost/asio/io_context.hpp>

#include "kv/kv.pb.h"

#include <charconv>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace
{
namespace asio = boost::asio;
namespace rg = rpcplugin::grpc;
using rg::status;
using rg::status_code;

// "An optional '-' then 1 to 19 digits that fits in int64" (kv.proto).
std::optional<std::int64_t> parse_decimal(std::string_view s)
{
    std::string_view digits = s.starts_with('-') ? s.substr(1) : s;
    if (digits.empty() || digits.size() > 19 ||
        digits.find_first_not_of("0123456789") != digits.npos)
        return std::nullopt;
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || p != s.data() + s.size())
        return std::nullopt;
    return v;
}

class kv_store
{
public:
    std::optional<std::string> get(const std::string& k)
    {
        std::lock_guard lock(m_);
        auto it = map_.find(k);
        return it == map_.end() ? std::nullopt : std::optional(it->second);
    }
    void put(const std::string& k, std::string v)
    {
        std::lock_guard lock(m_);
        map_[k] = std::move(v);
    }

private:
    std::mutex m_;
    std::map<std::string, std::string> map_;
};
} // namespace

int main(int argc, char** argv)
{
    asio::io_context io(1);
    rpcplugin::plugin::config defaults;
    defaults.magic_cookie_key = "RPCPLUGIN_KV_PLUGIN";
    defaults.magic_cookie_value = "kv";
    defaults.protocol_versions = {1};
    defaults.debug = rpcplugin::plugin::has_debug_flag(argc, argv);
    rpcplugin::plugin::server plugin(io, defaults);
    kv_store store;
    auto& srv = plugin.services();

    srv.add_unary<kv::GetRequest, kv::GetResponse>(
        "/kv.KV/Get",
        [&](rg::server_context&, const kv::GetRequest& req,
            kv::GetResponse& resp) -> asio::awaitable<status>
        {
            auto v = store.get(req.key());
            if (!v)
                co_return status(status_code::not_found, "no value for key " + req.key());
            resp.set_value(*v);
            co_return status();
        });

    srv.add_unary<kv::PutRequest, kv::Empty>(
        "/kv.KV/Put",
        [&](rg::server_context&, const kv::PutRequest& req, kv::Empty&) -> asio::awaitable<status>
        {
            // Plain stdout: the runtime captures it and streams it to the host (GRPCStdio).
            std::printf("kv: put %s\n", req.key().c_str());
            std::fflush(stdout);
            if (req.add_server() == 0)
            {
                store.put(req.key(), req.value());
                co_return status();
            }
            // Host->plugin broker callback: new = Helper.Sum(old, value).
            auto a = parse_decimal(store.get(req.key()).value_or("0"));
            auto b = parse_decimal(req.value());
            if (!a || !b)
                co_return status(status_code::invalid_argument, "values must be decimal integers");
            auto ch = co_await plugin.brokers().dial(req.add_server());
            if (!ch)
                co_return status(status_code::unavailable, "cannot dial broker id " +
                                                               std::to_string(req.add_server()) +
                                                               ": " + ch.error().message());
            kv::SumRequest sreq;
            sreq.set_a(*a);
            sreq.set_b(*b);
            kv::SumResponse sresp;
            status s = co_await (*ch)->unary("/kv.Helper/Sum", sreq, sresp);
            (*ch)->close();
            if (!s.ok())
                co_return s;
            store.put(req.key(), std::to_string(sresp.r()));
            co_return status();
        });

    srv.add_unary<kv::StartCounterRequest, kv::StartCounterResponse>(
        "/kv.KV/StartCounter",
        [&](rg::server_context&, const kv::StartCounterRequest& req,
            kv::StartCounterResponse& resp) -> asio::awaitable<status>
        {
            std::uint32_t id = plugin.brokers().next_id();
            auto total = std::make_shared<std::int64_t>(req.initial());
            auto served = plugin.brokers().accept_and_serve(
                id,
                [total](rg::server& s)
                {
                    s.add_unary<kv::AddRequest, kv::AddResponse>(
                        "/kv.Counter/Add",
                        [total](rg::server_context&, const kv::AddRequest& r,
                                kv::AddResponse& out) -> asio::awaitable<status>
                        {
                            std::int64_t next = 0;
                            if (__builtin_add_overflow(*total, r.delta(), &next))
                                co_return status(status_code::out_of_range, "counter overflow");
                            *total = next;
                            out.set_total(next);
                            co_return status();
                        });
                });
            if (!served)
                co_return status(status_code::unavailable,
                                 "cannot start a broker server: " + served.error().message());
            resp.set_broker_id(id);
            co_return status();
        });

    return plugin.run();
}
