// rpcplugin-host: launch any go-plugin plugin (gRPC), show what it negotiates and serves,
// call it, and shut it down the go-plugin way. `rpcplugin-host --help` has the options.
#include "dynamic_call.hpp"
#include "kv_demo.hpp"
#include "options.hpp"
#include "reflection.hpp"
#include "report.hpp"

#include <rpcplugin/host/plugin_client.hpp>
#include <rpcplugin/wire/reattach.hpp>

#include "grpc/health/v1/health.pb.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <iostream>

namespace
{
namespace asio = boost::asio;
namespace host = rpcplugin::host;
namespace rg = rpcplugin::grpc;
using namespace rpcplugin_host;
using clock = std::chrono::steady_clock;

struct prepared_call
{
    const google::protobuf::MethodDescriptor* method = nullptr;
    std::unique_ptr<google::protobuf::Message> request;
};

struct plan
{
    options opts;
    std::unique_ptr<descriptor_set> descriptors;
    std::vector<prepared_call> calls;
    std::optional<rpcplugin::wire::reattach_config> reattach;
};

asio::awaitable<void> health_check(host::plugin_client& client, report& r,
                                   std::chrono::milliseconds timeout)
{
    std::string path = "/grpc.health.v1.Health/Check";
    ::grpc::health::v1::HealthCheckRequest req;
    req.set_service("plugin");
    ::grpc::health::v1::HealthCheckResponse resp;
    rg::call_options opts;
    opts.timeout = timeout;
    const auto t0 = clock::now();
    rg::status s = co_await client.channel()->unary(path, req, resp, opts);
    r.first_rpc = clock::now();
    r.health_elapsed = r.first_rpc - t0;
    if (!s.ok())
        r.health_error = s;
    else
        r.health_status = ::grpc::health::v1::HealthCheckResponse_ServingStatus_Name(resp.status());
}

asio::awaitable<void> run(plan& p, report& r)
{
    auto ex = co_await asio::this_coro::executor;
    const options& o = p.opts;
    host::client_config cfg;
    cfg.magic_cookie_key = o.cookie_key;
    cfg.magic_cookie_value = o.cookie_value;
    cfg.protocol_versions = o.versions;
    cfg.auto_mtls = o.mtls;
    cfg.start_timeout = o.start_timeout;
    cfg.env = o.env;
    cfg.inherit_stdin = false;
    // Everything worth showing goes into the report; the library's own log stays quiet.
    cfg.log = rpcplugin::logger(rpcplugin::log_level::off, rpcplugin::stderr_text_sink());
    cfg.channel.log = cfg.log;
    cfg.on_log = [&r](const host::plugin_log_record& rec) { r.stderr_records.push_back(rec); };
    cfg.on_output = [&r](host::output_source src, std::string_view data) {
        r.output.push_back({src, std::string(data)});
    };

    host::plugin_client::result_type launched;
    if (p.reattach)
        launched = co_await host::plugin_client::reattach(ex, *p.reattach, cfg);
    else
    {
        host::command cmd{o.plugin, o.plugin_args};
        launched = co_await host::plugin_client::launch(ex, cmd, cfg);
    }
    if (!launched)
    {
        r.error = launched.error();
        r.exit_status = exit_plugin_failed;
        co_return;
    }
    std::shared_ptr<host::plugin_client> client = *launched;
    r.pid = client->pid();
    r.handshake_line = client->handshake_text();
    r.handshake = client->handshake();
    r.timings = client->timings();
    r.connected = true;
    r.tls = client->channel()->tls_session();
    if (!r.tls.peer_certificate_der.empty())
        if (auto c = rpcplugin::wire::parse_certificate_der(r.tls.peer_certificate_der))
            r.peer_cert = *c;
    if (client->host_certificate())
        if (auto c =
                rpcplugin::wire::parse_certificate_der(client->host_certificate()->certificate_der))
            r.host_cert = *c;

    co_await health_check(*client, r, o.call_timeout);
    if (r.health_error)
        r.exit_status = exit_plugin_failed;
    else
    {
        r.reflection = co_await list_services(*client->channel(), o.call_timeout);
        for (auto& c : p.calls)
        {
            auto outcome = co_await call_unary(*client->channel(), *p.descriptors, c.method,
                                               *c.request, o.call_timeout);
            if (!outcome.status.ok())
                r.exit_status = exit_call_failed;
            r.calls.push_back(std::move(outcome));
        }
        if (o.demo_kv)
        {
            r.demo = co_await run_kv_demo(*client, o.call_timeout);
            for (const auto& d : r.demo)
                if (!d.ok)
                    r.exit_status = exit_call_failed;
        }
    }
    r.stdio = client->stdio_result();
    r.shutdown = co_await client->shutdown();
    if (r.shutdown->killed && r.exit_status == exit_ok)
        r.exit_status = exit_killed;
    r.timings = client->timings();
}

// Everything that can be checked before launching: bad input never starts a plugin.
std::optional<std::string> prepare(plan& p)
{
    const options& o = p.opts;
    if (!o.descriptor_set.empty())
    {
        auto ds = descriptor_set::load(o.descriptor_set);
        if (!ds)
            return ds.error();
        p.descriptors = std::move(*ds);
    }
    for (const auto& c : o.calls)
    {
        auto m = p.descriptors->find_method(c.method);
        if (!m)
            return m.error();
        auto req = parse_request(*p.descriptors, *m, c.json);
        if (!req)
            return req.error();
        p.calls.push_back({*m, std::move(*req)});
    }
    if (o.reattach_json)
    {
        auto entries = rpcplugin::wire::parse_reattach_json(*o.reattach_json);
        if (!entries)
            return entries.error().message;
        if (!o.plugin.empty())
        {
            auto it = entries->find(o.plugin);
            if (it == entries->end())
                return "the reattach config has no entry \"" + o.plugin + "\"";
            p.reattach = it->second;
        }
        else if (entries->size() == 1)
            p.reattach = entries->begin()->second;
        else
        {
            std::string names;
            for (const auto& [name, cfg] : *entries)
                names += (names.empty() ? "" : ", ") + name;
            return "the reattach config has several entries (" + names +
                   "); name one after the options";
        }
    }
    return std::nullopt;
}
} // namespace

int main(int argc, char** argv)
{
    std::signal(SIGPIPE, SIG_IGN);
    std::vector<std::string> args(argv + 1, argv + argc);
    auto parsed = parse_args(args);
    if (!parsed)
    {
        std::cerr << "rpcplugin-host: " << parsed.error()
                  << "\n(rpcplugin-host --help shows the options)\n";
        return exit_usage;
    }
    plan p;
    p.opts = std::move(*parsed);
    if (p.opts.help)
    {
        std::cout << usage();
        return exit_ok;
    }
    if (auto problem = prepare(p))
    {
        std::cerr << "rpcplugin-host: " << *problem << "\n";
        return exit_usage;
    }

    report r;
    r.plugin = p.opts.plugin;
    r.args = p.opts.plugin_args;
    r.reattached = p.reattach.has_value();
    r.mtls = p.opts.mtls && !r.reattached;
    r.versions = p.opts.versions;
    if (p.reattach)
    {
        r.pid = p.reattach->pid;
        r.handshake.network = p.reattach->network;
        r.handshake.address = p.reattach->address;
        r.handshake.app_version = p.reattach->protocol_version;
    }

    int interrupted = 0;
    {
        asio::io_context io(1);
        asio::signal_set signals(io, SIGINT, SIGTERM);
        signals.async_wait(
            [&](boost::system::error_code ec, int sig)
            {
                if (!ec)
                {
                    interrupted = sig;
                    io.stop();
                }
            });
        asio::co_spawn(io, run(p, r),
                       [&](std::exception_ptr e)
                       {
                           signals.cancel();
                           if (e)
                           {
                               try
                               {
                                   std::rethrow_exception(e);
                               }
                               catch (const std::exception& x)
                               {
                                   r.error =
                                       host::make_error(host::errc::invalid_config,
                                                        std::string("internal error: ") + x.what());
                                   r.exit_status = exit_plugin_failed;
                               }
                           }
                       });
        io.run();
        // Leaving the scope destroys an unfinished run (after a signal): the plugin client
        // in it kills and reaps the plugin and removes its socket.
    }
    if (interrupted)
    {
        std::cerr << "rpcplugin-host: interrupted by signal " << interrupted << "; plugin killed\n";
        return 128 + interrupted;
    }
    std::cout << (p.opts.json_output ? render_json(r) : render_text(r)) << std::flush;
    return r.exit_status;
}
