#include "rpcplugin/plugin/server.hpp"

#include "plugin/detail/self_check.hpp"
#include "plugin/detail/startup.hpp"
#include "rpcplugin/wire/handshake.hpp"
#include "rpcplugin/plugin/hclog.hpp"
#include "rpcplugin/plugin/reattach.hpp"
#include "rpcplugin/plugin/stdio_capture.hpp"
#include "rpcplugin/stage/rate_limit.hpp"

#include "plugin/grpc_controller.pb.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <future>
#include <sys/stat.h>
#include <thread>
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
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        s.remove_prefix(static_cast<std::size_t>(n));
    }
}

// The duplicate of the original stderr the runtime logs to, shared by every copy of the
// logger and closed with the last one.
struct log_descriptor
{
    int fd;
    explicit log_descriptor(int original)
        : fd(::fcntl(original, F_DUPFD_CLOEXEC, 3))
    {
    }
    ~log_descriptor()
    {
        if (fd >= 0)
            ::close(fd);
    }
    log_descriptor(const log_descriptor&) = delete;
    log_descriptor& operator=(const log_descriptor&) = delete;
    int get() const noexcept { return fd >= 0 ? fd : 2; }
};

bool env_true(const env_lookup& env, std::string_view name)
{
    auto v = env(name);
    return v && parse_bool(*v).value_or(false);
}
} // namespace

server::server(asio::io_context& io, config defaults)
    : server(io, std::move(defaults), process_environment())
{
}

server::server(asio::io_context& io, config defaults, env_lookup env)
    : io_(io)
    , defaults_(std::move(defaults))
    , cfg_(defaults_)
    , env_(std::move(env))
    , stdio_(defaults_.stdio_buffer_limit, log_)
{
    // Our own logs go to the real stderr as hclog JSON, which go-plugin hosts parse; the
    // duplicate keeps them there once descriptor 2 is captured.
    auto fd = std::make_shared<log_descriptor>(2);
    log_ = logger(log_level::info,
                  hclog_sink([fd](std::string_view line) { write_all(fd->get(), line); }));
    grpc_.options().log = log_;
}

server::~server() = default;

void server::set_announced(bool ok)
{
    std::lock_guard lock(ready_mutex_);
    announced_ = ok;
    ready_cv_.notify_all();
}

asio::awaitable<int> server::fail(int code)
{
    set_announced(false);
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

asio::awaitable<bool> server::self_check(std::chrono::milliseconds timeout)
{
    detail::self_check_target t;
    t.target = self_target_;
    t.tls = self_tls_;
    t.health_enabled = cfg_.health_enabled;
    co_return co_await detail::check_serving(std::move(t), timeout);
}

bool server::wait_for_server_ready(std::chrono::milliseconds timeout)
{
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    {
        std::unique_lock lock(ready_mutex_);
        ready_cv_.wait_until(lock, deadline, [&] { return announced_.has_value(); });
        if (!announced_.value_or(false) || stopping_)
            return false;
        if (verified_)
            return true;
    }
    if (io_.get_executor().running_in_this_thread())
        return false; // the check needs this thread
    for (;;)
    {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left <= 0ms || stopping_)
            return false;
        auto done = std::make_shared<std::promise<bool>>();
        auto result = done->get_future();
        asio::co_spawn(io_, self_check(left),
                       [done](std::exception_ptr e, bool ok) { done->set_value(!e && ok); });
        if (result.wait_until(deadline) != std::future_status::ready)
            return false;
        bool ok = false;
        try
        {
            ok = result.get();
        }
        catch (const std::future_error&)
        {
            return false; // the io_context was destroyed with the check pending
        }
        if (ok)
        {
            std::lock_guard lock(ready_mutex_);
            verified_ = true;
            return !stopping_;
        }
        log_.log(log_level::debug, log_module, "readiness check failed; retrying");
        std::this_thread::sleep_until(std::min(deadline, std::chrono::steady_clock::now() + 20ms));
    }
}

asio::awaitable<void> server::watch_shutdown_file()
{
    auto ex = co_await asio::this_coro::executor;
    asio::steady_timer t(ex);
    while (!stopping_)
    {
        struct stat st = {};
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
    stop_signal_.emplace(ex, std::chrono::steady_clock::time_point::max());
    // SIGTERM is caught from the start, so one that arrives right after the handshake
    // line still drains instead of killing the process.
    asio::signal_set signals(ex, SIGTERM);
    signals.async_wait(
        [this](boost::system::error_code ec, int signo)
        {
            if (!ec)
            {
                log_.log(log_level::info, log_module,
                         signo == SIGINT ? "SIGINT received; draining"
                                         : "SIGTERM received; draining");
                stop();
            }
        });

    // 1. The magic cookie, before anything else (go-plugin's exact message, exit 1). The
    //    operator may rename it (PLUGIN_MAGIC_COOKIE_KEY/VALUE); empty keeps the code's.
    //    Debug mode runs without a host, hence without the cookie.
    const bool debug = defaults_.debug || env_true(env_, "PLUGIN_DEBUG");
    if (!debug)
    {
        auto from_env = [&](std::string_view name, const std::string& fallback)
        {
            auto v = env_(name);
            return v && !v->empty() ? *v : fallback;
        };
        auto cookie =
            wire::check_cookie(from_env("PLUGIN_MAGIC_COOKIE_KEY", defaults_.magic_cookie_key),
                         from_env("PLUGIN_MAGIC_COOKIE_VALUE", defaults_.magic_cookie_value), env_);
        if (cookie != wire::cookie_status::ok)
        {
            write_all(2, wire::cookie_failure_message(cookie));
            co_return co_await fail(1);
        }
    }

    // 2. Configuration from the environment.
    auto loaded = load_config(defaults_, env_);
    if (!loaded)
    {
        log_.log(log_level::error, log_module,
                 "invalid configuration: " + loaded.error().to_string(),
                 {{"variable", loaded.error().variable}, {"error", loaded.error().message}});
        co_return co_await fail(1);
    }
    cfg_ = std::move(*loaded);
    cfg_.debug = debug;
    log_.set_level(cfg_.log_level);
    grpc_.options().log = log_;
    if (cfg_.debug)
    {
        boost::system::error_code ignored;
        signals.add(SIGINT, ignored); // a developer's Ctrl-C ends a debug session
        if (cfg_.tls_enabled())
            log_.log(log_level::warn, log_module,
                     "debug mode serves plaintext; the TLS settings are ignored");
        cfg_.client_cert_pem.clear();
        cfg_.server_cert_pem.clear();
        cfg_.server_key_pem.clear();
        cfg_.transports = {transport_kind::unix_socket};
    }

    // 3. Version negotiation.
    int version = *cfg_.protocol_versions.rbegin();
    if (!cfg_.host_protocol_versions.empty())
    {
        auto choice = wire::negotiate_version(cfg_.protocol_versions, cfg_.host_protocol_versions);
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
    auto tls = detail::make_tls(cfg_);
    if (!tls)
    {
        log_.log(log_level::error, log_module, tls.error().to_string(),
                 {{"variable", tls.error().variable}, {"error", tls.error().message}});
        co_return co_await fail(1);
    }
    tls_ = tls->server;

    // 5. The listener: the first configured transport that binds.
    auto group = detail::resolve_group(cfg_.unix_socket_group);
    if (!group)
    {
        log_.log(log_level::error, log_module, group.error().to_string(),
                 {{"variable", group.error().variable}, {"error", group.error().message}});
        co_return co_await fail(1);
    }
    transport::listen_options unix_options;
    if (*group)
    {
        unix_options.unix_mode = 0660;
        unix_options.unix_group = *group;
    }
    const std::string socket_dir =
        cfg_.unix_socket_dir.empty() ? detail::temp_dir() : cfg_.unix_socket_dir;
    auto bound = detail::open_main_listener(ex, cfg_, socket_dir, unix_options, log_);
    if (!bound)
    {
        log_.log(log_level::error, log_module, "no listener could be created",
                 {{"error", bound.error().message()}});
        co_return co_await fail(1);
    }
    listener_ = std::move(bound->listener);
    const std::string network = bound->network;
    const std::string address = bound->address;

    // 6. Internal services.
    broker::settings bs;
    bs.network = network;
    bs.socket_dir = socket_dir;
    bs.unix_options = unix_options;
    bs.server_tls = tls_;
    bs.client_tls = tls->broker_client;
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
        [this](grpc::server_context&, const ::plugin::Empty&,
               ::plugin::Empty&) -> asio::awaitable<grpc::status>
        {
            log_.log(log_level::info, log_module, "shutdown requested by the host");
            stop();
            co_return grpc::status();
        });
    stdio_.add_to(grpc_);
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

    // 7. The stdio pipes are made before the line is printed, so that a failure still
    //    leaves stdout clean and exits 1.
    if (cfg_.capture_stdio && !cfg_.debug)
    {
        capture_ = std::make_unique<stdio_capture>(stdio_);
        if (auto prepared = capture_->prepare(); !prepared)
        {
            log_.log(log_level::error, log_module, "cannot capture stdout and stderr",
                     {{"variable", "PLUGIN_CAPTURE_STDIO"}, {"error", prepared.error().message()}});
            capture_.reset();
            co_return co_await fail(1);
        }
    }

    // 8. Serve, then announce: the line is printed once the listener accepts.
    asio::co_spawn(ex, grpc_.serve(*listener_, tls_), asio::detached);
    std::string announcement;
    if (cfg_.debug)
    {
        wire::reattach_config info;
        info.protocol_version = version;
        info.pid = static_cast<long>(::getpid());
        info.test = true;
        info.network = network;
        info.address = address;
        announcement = format_reattach_instructions(cfg_.reattach_name.empty()
                                                        ? std::string(program_invocation_short_name)
                                                        : cfg_.reattach_name,
                                                    info, cfg_.reattach_variable);
    }
    else
    {
        wire::handshake_line line;
        line.app_version = version;
        line.network = network;
        line.address = address;
        line.server_cert_der = tls->certificate_der;
        if (cfg_.multiplex_grpc_requested)
            line.multiplex = false;
        auto text = wire::format_handshake_line(line);
        if (!text)
        {
            log_.log(log_level::error, log_module, "cannot format the handshake line",
                     {{"error", text.error().message}});
            co_return co_await fail(1);
        }
        announcement = std::move(*text);
    }
    write_all(1, announcement);
    if (capture_)
    {
        if (auto active = capture_->activate(); !active)
            log_.log(log_level::warn, log_module, "cannot capture stdout and stderr",
                     {{"error", active.error().message()}});
    }
    log_.log(log_level::debug, log_module,
             cfg_.debug ? "plugin started in debug mode" : "plugin started",
             {{"network", network},
              {"address", address},
              {"version", std::to_string(version)},
              {"stdio", capture_ && capture_->active() ? "captured" : "not captured"}});
    self_target_ = network == "unix" ? "unix:" + address : address;
    self_tls_ = tls->self_client;
    set_announced(true);

    // 9. Run until a drain trigger.
    if (!cfg_.shutdown_file_path.empty())
        asio::co_spawn(ex, watch_shutdown_file(), asio::detached);
    if (!stopping_)
        co_await stop_signal_->async_wait(use_tuple);

    // 10. The drain: health NOT_SERVING, the stdio streams get what was printed so far
    //     and end, stop accepting, two-phase GOAWAY, grace, cancel. Output of calls that
    //     run on during the grace period is still captured, never printed to the real
    //     stdout; what no stream took is counted in a warning. (Health's drain hook
    //     would turn it NOT_SERVING too; here it happens before the stdio streams end.)
    health_.shutdown();
    if (capture_)
        capture_->sync();
    stdio_.close();
    co_await grpc_.drain(cfg_.grace_period);
    co_await broker_->shutdown(100ms);
    if (capture_)
        capture_->stop();
    stdio_.report_undelivered();
    boost::system::error_code ignored;
    signals.cancel(ignored);
    listener_->close();
    log_.log(log_level::debug, log_module, "plugin stopped");
    co_return 0;
}

int server::run()
{
    std::signal(SIGINT, SIG_IGN); // the host's terminal Ctrl-C is the host's business
    std::signal(SIGPIPE, SIG_IGN);
    int code = 1;
    asio::co_spawn(
        io_, serve(),
        [&](std::exception_ptr e, int c)
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
                    log_.log(log_level::error, log_module, "plugin failed", {{"error", x.what()}});
                }
            }
            io_.stop();
        });
    io_.run();
    if (capture_)
        capture_->stop(); // also when serve ended by an exception
    return code;
}
} // namespace rpcplugin::plugin
