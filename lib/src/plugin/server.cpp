#include "rpcplugin/plugin/server.hpp"

#include "plugin/detail/self_check.hpp"
#include "plugin/detail/startup.hpp"
#include "rpcplugin/wire/handshake.hpp"
#include "rpcplugin/plugin/hclog.hpp"
#include "rpcplugin/plugin/reattach.hpp"
#include "rpcplugin/plugin/stdio_capture.hpp"
#include "rpcplugin/stage/rate_limit.hpp"

#include "plugin/grpc_controller.pb.h"

#include "detail/log_exceptions.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/experimental/concurrent_channel.hpp>
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
#include <stdexcept>
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

broker& server::brokers()
{
    if (!broker_)
        throw std::logic_error("plugin::server::brokers() called before serve() set up the "
                               "listener: the broker exists only while the plugin serves");
    return *broker_;
}

void server::set_announced(bool ok)
{
    {
        std::lock_guard lock(ready_mutex_);
        announced_ = ok;
        // Under the lock: a waiter that ended has removed itself, so none is woken late.
        for (auto& [id, wake] : ready_waiters_)
            wake();
        ready_waiters_.clear();
    }
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

asio::awaitable<bool> server::ready(std::chrono::milliseconds timeout)
{
    using namespace asio::experimental::awaitable_operators;
    using announce_channel =
        asio::experimental::concurrent_channel<void(boost::system::error_code)>;
    auto ex = co_await asio::this_coro::executor;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    asio::steady_timer timer(ex, deadline);
    // Wait for the announcement: set_announced wakes the channel from serve's thread. The
    // channel lives in this frame; the waiter entry is removed before the frame ends.
    announce_channel announced(ex, 1);
    std::optional<std::uint64_t> waiter;
    {
        std::lock_guard lock(ready_mutex_);
        if (!announced_)
        {
            waiter = next_ready_waiter_++;
            ready_waiters_.emplace(*waiter, [&announced]
                                   { announced.try_send(boost::system::error_code{}); });
        }
    }
    struct remove_waiter
    {
        server& self;
        std::optional<std::uint64_t> id;
        ~remove_waiter()
        {
            if (!id)
                return;
            std::lock_guard lock(self.ready_mutex_);
            self.ready_waiters_.erase(*id);
        }
    } remove{*this, waiter};
    if (waiter)
        co_await (announced.async_receive(asio::as_tuple(asio::use_awaitable)) ||
                  timer.async_wait(asio::as_tuple(asio::use_awaitable)));
    {
        std::lock_guard lock(ready_mutex_);
        if (!announced_.value_or(false) || stopping_)
            co_return false;
        if (verified_)
            co_return true;
    }
    for (;;)
    {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left <= 0ms || stopping_)
            co_return false;
        bool ok = co_await self_check(left);
        if (ok)
        {
            std::lock_guard lock(ready_mutex_);
            verified_ = true;
            co_return !stopping_;
        }
        log_.log(log_level::debug, log_module, "readiness check failed; retrying");
        timer.expires_at(std::min(deadline, std::chrono::steady_clock::now() + 20ms));
        co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
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

// What the phases of `serve` hand on to each other.
struct server::startup
{
    asio::any_io_executor ex;
    /** The negotiated app protocol version. */
    int version = 0;
    detail::tls_setup tls;
    std::string socket_dir;
    transport::listen_options unix_options;
    /** How the handshake line names the main listener: `unix`/`tcp` and the address. */
    std::string network;
    std::string address;
};

void server::log_setting_error(const wire::error& e)
{
    log_.log(log_level::error, log_module, e.to_string(),
             {{"variable", e.variable}, {"error", e.message}});
}

bool server::check_cookie(bool debug)
{
    // Before anything else (go-plugin's exact message, exit 1). The operator may rename it
    // (PLUGIN_MAGIC_COOKIE_KEY/VALUE); empty keeps the code's. Debug mode runs without a
    // host, hence without the cookie.
    if (debug)
        return true;
    auto from_env = [&](std::string_view name, const std::string& fallback)
    {
        auto v = env_(name);
        return v && !v->empty() ? *v : fallback;
    };
    const auto cookie = wire::check_cookie(
        from_env("PLUGIN_MAGIC_COOKIE_KEY", defaults_.magic_cookie_key),
        from_env("PLUGIN_MAGIC_COOKIE_VALUE", defaults_.magic_cookie_value), env_);
    if (cookie == wire::cookie_status::ok)
        return true;
    write_all(2, wire::cookie_failure_message(cookie));
    return false;
}

bool server::configure(startup& s, asio::signal_set& signals)
{
    const bool debug = defaults_.debug || env_true(env_, "PLUGIN_DEBUG");
    if (!check_cookie(debug))
        return false;

    auto loaded = load_config(defaults_, env_);
    if (!loaded)
    {
        log_.log(log_level::error, log_module,
                 "invalid configuration: " + loaded.error().to_string(),
                 {{"variable", loaded.error().variable}, {"error", loaded.error().message}});
        return false;
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

    s.version = *cfg_.protocol_versions.rbegin();
    if (cfg_.host_protocol_versions.empty())
        return true;
    auto choice = wire::negotiate_version(cfg_.protocol_versions, cfg_.host_protocol_versions);
    if (!choice)
    {
        log_.log(log_level::error, log_module, "version negotiation failed",
                 {{"error", choice.error().message}});
        return false;
    }
    if (!choice->warning.empty())
        log_.log(log_level::warn, log_module, choice->warning);
    s.version = choice->version;
    return true;
}

bool server::setup_tls(startup& s)
{
    // AutoMTLS with a fresh certificate when the host sent its own, or the operator's key
    // pair.
    auto tls = detail::make_tls(cfg_);
    if (!tls)
    {
        log_setting_error(tls.error());
        return false;
    }
    s.tls = std::move(*tls);
    tls_ = s.tls.server;
    return true;
}

bool server::open_listeners(startup& s)
{
    // The first configured transport that binds.
    auto group = detail::resolve_group(cfg_.unix_socket_group);
    if (!group)
    {
        log_setting_error(group.error());
        return false;
    }
    if (*group)
    {
        s.unix_options.unix_mode = 0660;
        s.unix_options.unix_group = *group;
    }
    s.socket_dir = cfg_.unix_socket_dir.empty() ? detail::temp_dir() : cfg_.unix_socket_dir;
    auto bound = detail::open_main_listener(s.ex, cfg_, s.socket_dir, s.unix_options, log_);
    if (!bound)
    {
        log_.log(log_level::error, log_module, "no listener could be created",
                 {{"error", bound.error().message()}});
        return false;
    }
    listener_ = std::move(bound->listener);
    s.network = bound->network;
    s.address = bound->address;
    return true;
}

void server::add_internal_services(startup& s)
{
    broker::settings bs;
    bs.network = s.network;
    bs.socket_dir = s.socket_dir;
    bs.unix_options = s.unix_options;
    bs.server_tls = tls_;
    bs.client_tls = s.tls.broker_client;
    bs.server_options.log = log_;
    broker_ = std::make_unique<broker>(s.ex, std::move(bs));
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
}

bool server::prepare_stdio()
{
    // The stdio pipes are made before the line is printed, so that a failure still leaves
    // stdout clean and exits 1.
    if (!cfg_.capture_stdio || cfg_.debug)
        return true;
    capture_ = std::make_unique<stdio_capture>(stdio_);
    if (auto prepared = capture_->prepare(); !prepared)
    {
        log_.log(log_level::error, log_module, "cannot capture stdout and stderr",
                 {{"variable", "PLUGIN_CAPTURE_STDIO"}, {"error", prepared.error().message()}});
        capture_.reset();
        return false;
    }
    return true;
}

std::optional<std::string> server::announcement(const startup& s)
{
    if (cfg_.debug)
    {
        wire::reattach_config info;
        info.protocol_version = s.version;
        info.pid = static_cast<long>(::getpid());
        info.test = true;
        info.network = s.network;
        info.address = s.address;
        const std::string name = cfg_.reattach_name.empty()
                                     ? std::string(program_invocation_short_name)
                                     : cfg_.reattach_name;
        return format_reattach_instructions(name, info, cfg_.reattach_variable);
    }
    wire::handshake_line line;
    line.app_version = s.version;
    line.network = s.network;
    line.address = s.address;
    line.server_cert_der = s.tls.certificate_der;
    if (cfg_.multiplex_grpc_requested)
        line.multiplex = false;
    auto text = wire::format_handshake_line(line);
    if (!text)
    {
        log_.log(log_level::error, log_module, "cannot format the handshake line",
                 {{"error", text.error().message}});
        return std::nullopt;
    }
    return std::move(*text);
}

bool server::announce(const startup& s)
{
    // Serve, then announce: the line is printed once the listener accepts.
    asio::co_spawn(
        s.ex, grpc_.serve(*listener_, tls_),
        rpcplugin::detail::log_exceptions(log_, log_module, "the gRPC server", [this] { stop(); }));
    const auto text = announcement(s);
    if (!text)
        return false;
    write_all(1, *text);
    if (capture_)
    {
        if (auto active = capture_->activate(); !active)
            log_.log(log_level::warn, log_module, "cannot capture stdout and stderr",
                     {{"error", active.error().message()}});
    }
    log_.log(log_level::debug, log_module,
             cfg_.debug ? "plugin started in debug mode" : "plugin started",
             {{"network", s.network},
              {"address", s.address},
              {"version", std::to_string(s.version)},
              {"stdio", capture_ && capture_->active() ? "captured" : "not captured"}});
    self_target_ = wire::dial_target(s.network, s.address);
    self_tls_ = s.tls.self_client;
    set_announced(true);
    return true;
}

asio::awaitable<void> server::run_until_stopped(const startup& s)
{
    if (!cfg_.shutdown_file_path.empty())
        asio::co_spawn(
            s.ex, watch_shutdown_file(),
            rpcplugin::detail::log_exceptions(log_, log_module, "the shutdown file watch"));
    if (!stopping_)
        co_await stop_signal_->async_wait(use_tuple);
}

asio::awaitable<void> server::drain(asio::signal_set& signals)
{
    // Health NOT_SERVING, the stdio streams get what was printed so far and end, then the
    // gRPC server's drain (stop accepting, two-phase GOAWAY, grace, cancel). Output of calls
    // that run on during the grace period is still captured, never printed to the real
    // stdout; what no stream took is counted in a warning. (Health's drain hook would turn
    // it NOT_SERVING too; here it happens before the stdio streams end.)
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
}

asio::awaitable<int> server::serve()
{
    startup s;
    s.ex = co_await asio::this_coro::executor;
    stop_signal_.emplace(s.ex, std::chrono::steady_clock::time_point::max());
    // SIGTERM is caught from the start, so one that arrives right after the handshake
    // line still drains instead of killing the process.
    asio::signal_set signals(s.ex, SIGTERM);
    signals.async_wait(
        [this](boost::system::error_code ec, int signo)
        {
            if (ec)
                return;
            log_.log(log_level::info, log_module,
                     signo == SIGINT ? "SIGINT received; draining" : "SIGTERM received; draining");
            stop();
        });

    if (!configure(s, signals) || !setup_tls(s) || !open_listeners(s))
        co_return co_await fail(1);
    add_internal_services(s);
    if (!prepare_stdio() || !announce(s))
        co_return co_await fail(1);
    co_await run_until_stopped(s);
    co_await drain(signals);
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
                const std::string reason = rpcplugin::detail::exception_text(e);
                log_.log(log_level::error, log_module, "plugin failed", {{"error", reason}});
            }
            io_.stop();
        });
    io_.run();
    if (capture_)
        capture_->stop(); // also when serve ended by an exception
    return code;
}
} // namespace rpcplugin::plugin
