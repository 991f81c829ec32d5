#include "rpcplugin/plugin/server.hpp"

#include "rpcplugin/plugin/certificate.hpp"
#include "rpcplugin/plugin/handshake.hpp"
#include "rpcplugin/plugin/hclog.hpp"
#include "rpcplugin/stage/rate_limit.hpp"
#include "rpcplugin/tls/context.hpp"

#include "plugin/grpc_controller.pb.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <grp.h>
#include <random>
#include <sys/stat.h>
#include <unistd.h>

namespace rpcplugin::plugin
{
using namespace std::chrono_literals;

namespace
{
constexpr std::string_view log_module = "rpcplugin.plugin";

void write_all(int fd, std::string_view s)
{
    while (!s.empty())
    {
        ssize_t n = ::write(fd, s.data(), s.size());
        if (n <= 0)
            return;
        s.remove_prefix(static_cast<std::size_t>(n));
    }
}

std::string temp_dir()
{
    const char* t = std::getenv("TMPDIR");
    return t && *t ? t : "/tmp";
}

std::string random_socket_path(const std::string& dir)
{
    std::mt19937_64 rng{std::random_device{}()};
    return dir + "/plugin" + std::to_string(rng() % 1000000000ull);
}

std::optional<gid_t> lookup_group(const std::string& name)
{
    if (name.empty())
        return std::nullopt;
    if (name.find_first_not_of("0123456789") == std::string::npos)
        return static_cast<gid_t>(std::stoul(name));
    if (struct group* g = ::getgrnam(name.c_str()))
        return g->gr_gid;
    return std::nullopt;
}
} // namespace

server::server(asio::io_context& io, config defaults)
    : io_(io)
    , defaults_(std::move(defaults))
    , cfg_(defaults_)
{
    // Our own logs go to stderr as hclog JSON, which go-plugin hosts parse.
    log_ = logger(log_level::info, hclog_sink([](std::string_view line) { write_all(2, line); }));
    grpc_.options().log = log_;
}

server::~server() = default;

void server::set_ready(bool ok)
{
    std::lock_guard lock(ready_mutex_);
    ready_ = ok;
    ready_cv_.notify_all();
}

bool server::wait_for_server_ready(std::chrono::milliseconds timeout)
{
    std::unique_lock lock(ready_mutex_);
    ready_cv_.wait_for(lock, timeout, [&] { return ready_.has_value(); });
    return ready_.value_or(false);
}

asio::awaitable<int> server::fail(int code)
{
    set_ready(false);
    co_return code;
}

void server::stop()
{
    if (stopping_.exchange(true))
        return;
    asio::post(io_,
               [this]
               {
                   if (stop_signal_)
                       stop_signal_->cancel();
               });
}

asio::awaitable<void> server::watch_shutdown_file()
{
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer t(ex);
    while (!stopping_)
    {
        struct stat st{};
        if (::stat(cfg_.shutdown_file_path.c_str(), &st) == 0)
        {
            log_.log(log_level::info, log_module, "shutdown file found; draining",
                     {{"path", cfg_.shutdown_file_path}});
            ::unlink(cfg_.shutdown_file_path.c_str());
            stop();
            co_return;
        }
        t.expires_after(1s);
        auto [ec] = co_await t.async_wait(use_tuple);
        if (ec)
            co_return;
    }
}

asio::awaitable<int> server::serve()
{
    auto ex = co_await asio::this_coro::executor;
    auto env = process_environment();
    stop_signal_.emplace(ex, std::chrono::steady_clock::time_point::max());
    // SIGTERM is caught from the start, so one that arrives right after the handshake
    // line still drains instead of killing the process.
    asio::signal_set sigterm(ex, SIGTERM);
    sigterm.async_wait(
        [this](boost::system::error_code ec, int)
        {
            if (!ec)
            {
                log_.log(log_level::info, log_module, "SIGTERM received; draining");
                stop();
            }
        });

    // 1. The magic cookie, before anything else (go-plugin's exact message, exit 1). The
    //    operator may rename it (PLUGIN_MAGIC_COOKIE_KEY/VALUE); empty keeps the code's.
    auto from_env = [&](std::string_view name, const std::string& fallback)
    {
        auto v = env(name);
        return v && !v->empty() ? *v : fallback;
    };
    auto cookie = check_cookie(from_env("PLUGIN_MAGIC_COOKIE_KEY", defaults_.magic_cookie_key),
                               from_env("PLUGIN_MAGIC_COOKIE_VALUE", defaults_.magic_cookie_value),
                               env);
    if (cookie != cookie_status::ok)
    {
        write_all(2, cookie_failure_message(cookie));
        co_return co_await fail(1);
    }

    // 2. Configuration from the environment.
    auto loaded = load_config(defaults_, env);
    if (!loaded)
    {
        log_.log(log_level::error, log_module, "invalid configuration",
                 {{"variable", loaded.error().variable}, {"error", loaded.error().message}});
        co_return co_await fail(1);
    }
    cfg_ = std::move(*loaded);
    log_.set_level(cfg_.log_level);
    grpc_.options().log = log_;

    // 3. Version negotiation.
    int version = *cfg_.protocol_versions.rbegin();
    if (!cfg_.host_protocol_versions.empty())
    {
        auto choice = negotiate_version(cfg_.protocol_versions, cfg_.host_protocol_versions);
        if (!choice)
        {
            log_.log(log_level::error, log_module, "version negotiation failed",
                     {{"error", choice.error().message}});
            co_return co_await fail(1);
        }
        if (!choice->warning.empty())
            log_.log(log_level::warn, log_module, choice->warning);
        version = choice->version;
    }

    // 4. TLS: AutoMTLS with a fresh certificate when the host sent its own, or the
    //    operator's key pair.
    std::string cert_der;
    std::optional<tls::client_config> broker_client_tls;
    if (!cfg_.client_cert_pem.empty() || !cfg_.server_cert_pem.empty())
    {
        tls::server_config tc;
        if (!cfg_.server_cert_pem.empty())
        {
            tc.certificate_chain_pem = cfg_.server_cert_pem;
            tc.private_key_pem = cfg_.server_key_pem;
            tc.client_roots_pem = cfg_.client_root_certs_pem.empty() ? cfg_.client_cert_pem
                                                                     : cfg_.client_root_certs_pem;
            auto parsed = parse_certificate_pem(cfg_.server_cert_pem);
            if (!parsed)
            {
                log_.log(log_level::error, log_module, "invalid server certificate",
                         {{"variable", "PLUGIN_SERVER_CERT"}, {"error", parsed.error().message}});
                co_return co_await fail(1);
            }
            cert_der = parsed->der;
        }
        else
        {
            auto gen = generate_certificate();
            if (!gen)
            {
                log_.log(log_level::error, log_module, "cannot generate a certificate",
                         {{"error", gen.error().message}});
                co_return co_await fail(1);
            }
            tc.certificate_chain_pem = gen->certificate_pem;
            tc.private_key_pem = gen->private_key_pem;
            tc.client_roots_pem = cfg_.client_cert_pem;
            cert_der = gen->certificate_der;
        }
        tc.require_client_certificate = !tc.client_roots_pem.empty();
        auto ctx = tls::make_server_context(tc);
        if (!ctx)
        {
            log_.log(log_level::error, log_module, "TLS setup failed",
                     {{"variable", "PLUGIN_CLIENT_CERT"}, {"error", ctx.error().message()}});
            co_return co_await fail(1);
        }
        tls_ = *ctx;
        tls::client_config cc;
        cc.server_roots_pem = cfg_.client_cert_pem;
        cc.certificate_chain_pem = tc.certificate_chain_pem;
        cc.private_key_pem = tc.private_key_pem;
        cc.server_name = "localhost";
        broker_client_tls = cc;
    }

    // 5. The listener: the first configured transport that binds.
    std::string network;
    std::string address;
    std::string socket_dir = cfg_.unix_socket_dir.empty() ? temp_dir() : cfg_.unix_socket_dir;
    boost::system::error_code last_error;
    for (auto kind : cfg_.transports)
    {
        if (kind == transport_kind::unix_socket)
        {
            transport::listen_options lo;
            if (auto gid = lookup_group(cfg_.unix_socket_group))
            {
                lo.unix_mode = 0660;
                lo.unix_group = gid;
            }
            else if (!cfg_.unix_socket_group.empty())
            {
                log_.log(log_level::error, log_module, "unknown group",
                         {{"variable", "PLUGIN_UNIX_SOCKET_GROUP"},
                          {"group", cfg_.unix_socket_group}});
                co_return co_await fail(1);
            }
            auto l = transport::listener::bind(ex, transport::unix_endpoint(random_socket_path(socket_dir)), lo);
            if (!l)
            {
                last_error = l.error();
                log_.log(log_level::warn, log_module, "cannot listen on a unix socket",
                         {{"dir", socket_dir}, {"error", last_error.message()}});
                continue;
            }
            listener_ = std::make_unique<transport::listener>(std::move(*l));
            network = "unix";
            address = listener_->local_endpoint().path;
            break;
        }
        for (std::uint16_t port : port_candidates(cfg_.ports))
        {
            auto l = transport::listener::bind(ex, transport::tcp_endpoint("127.0.0.1", port));
            if (l)
            {
                listener_ = std::make_unique<transport::listener>(std::move(*l));
                break;
            }
            last_error = l.error();
        }
        if (listener_)
        {
            network = "tcp";
            address = "127.0.0.1:" + std::to_string(listener_->local_endpoint().port);
            break;
        }
        log_.log(log_level::warn, log_module, "no free TCP port in range",
                 {{"min", std::to_string(cfg_.ports.min)}, {"max", std::to_string(cfg_.ports.max)}});
    }
    if (!listener_)
    {
        log_.log(log_level::error, log_module, "no listener could be created",
                 {{"error", last_error.message()}});
        co_return co_await fail(1);
    }

    // 6. Internal services.
    broker::settings bs;
    bs.network = network;
    bs.socket_dir = socket_dir;
    bs.server_tls = tls_;
    bs.client_tls = broker_client_tls;
    bs.server_options.log = log_;
    broker_ = std::make_unique<broker>(ex, std::move(bs));
    broker_->add_to(grpc_);
    if (cfg_.health_enabled)
    {
        health_.set_status("", health::serving_status::serving);
        health_.set_status("plugin", health::serving_status::serving);
        health_.add_to(grpc_);
    }
    grpc_.add_unary<::plugin::Empty, ::plugin::Empty>(
        "/plugin.GRPCController/Shutdown",
        [this](grpc::server_context&, const ::plugin::Empty&, ::plugin::Empty&)
            -> asio::awaitable<grpc::status>
        {
            log_.log(log_level::info, log_module, "shutdown requested by the host");
            stop();
            co_return grpc::status();
        });
    // The limiter leaves health and go-plugin's internal services alone (they stay
    // reachable while application calls are refused); it runs after the application's own
    // stages, if any were added before `serve`.
    if (cfg_.rate_limit_enabled)
    {
        stage::rate_limit_options rl;
        rl.requests_per_second = cfg_.rate_limit_requests_per_second;
        rl.burst = cfg_.rate_limit_burst_capacity;
        grpc_.add_call_stage(stage::rate_limit(std::move(rl)));
    }

    // 7. Serve, then announce: the line is printed once the listener accepts.
    asio::co_spawn(ex, grpc_.serve(*listener_, tls_), asio::detached);
    handshake_line line;
    line.app_version = version;
    line.network = network;
    line.address = address;
    line.server_cert_der = cert_der;
    if (cfg_.multiplex_grpc_requested)
        line.multiplex = false;
    auto text = format_handshake_line(line);
    if (!text)
    {
        log_.log(log_level::error, log_module, "cannot format the handshake line",
                 {{"error", text.error().message}});
        co_return co_await fail(1);
    }
    write_all(1, *text);
    log_.log(log_level::debug, log_module, "plugin started",
             {{"network", network}, {"address", address}, {"version", std::to_string(version)}});
    set_ready(true);

    // 8. Run until a drain trigger.
    if (!cfg_.shutdown_file_path.empty())
        asio::co_spawn(ex, watch_shutdown_file(), asio::detached);
    if (!stopping_)
        co_await stop_signal_->async_wait(use_tuple);

    // 9. The drain: health NOT_SERVING (the health service's drain hook), stop accepting,
    // two-phase GOAWAY, grace, cancel.
    co_await grpc_.drain(cfg_.grace_period);
    co_await broker_->shutdown(100ms);
    boost::system::error_code ignored;
    sigterm.cancel(ignored);
    listener_->close();
    log_.log(log_level::debug, log_module, "plugin stopped");
    co_return 0;
}

int server::run()
{
    std::signal(SIGINT, SIG_IGN); // the host's terminal Ctrl-C is the host's business
    std::signal(SIGPIPE, SIG_IGN);
    int code = 1;
    asio::co_spawn(io_, serve(), [&](std::exception_ptr e, int c)
                   {
                       code = e ? 1 : c;
                       if (e)
                       {
                           try
                           {
                               std::rethrow_exception(e);
                           }
                           catch (const std::exception& x)
                           {
                               log_.log(log_level::error, log_module, "plugin failed",
                                        {{"error", x.what()}});
                           }
                       }
                       io_.stop();
                   });
    io_.run();
    return code;
}
} // namespace rpcplugin::plugin
