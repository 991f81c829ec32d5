#include "rpcplugin/host/plugin_client.hpp"

#include "rpcplugin/host/environment.hpp"
#include "rpcplugin/host/handshake.hpp"
#include "rpcplugin/tls/context.hpp"

#include "grpc/health/v1/health.pb.h"

#include "detail/log_exceptions.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/strand.hpp>

#include <cstdlib>
#include <random>
#include <sys/stat.h>
#include <unistd.h>

namespace rpcplugin::host
{
using boost::system::error_code;
using namespace asio::experimental::awaitable_operators;
using namespace std::chrono_literals;
using clock = std::chrono::steady_clock;

namespace
{
constexpr std::string_view log_module = "rpcplugin.host";

std::string ms_text(clock::duration d)
{
    return std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(d).count()) + " ms";
}

// Errors worth another connect attempt: the socket file is not there yet, nobody accepts.
bool transient(const error_code& ec)
{
    return ec == boost::system::errc::no_such_file_or_directory ||
           ec == boost::system::errc::connection_refused ||
           ec == boost::system::errc::resource_unavailable_try_again;
}

std::string socket_dir_for(const client_config& cfg)
{
    if (!cfg.unix_socket_dir.empty())
        return cfg.unix_socket_dir;
    const char* tmp = std::getenv("TMPDIR");
    return tmp && *tmp ? tmp : "/tmp";
}
} // namespace

std::string_view to_string(output_source s) noexcept
{
    switch (s)
    {
    case output_source::stdout_pipe: return "stdout";
    case output_source::grpc_stdout: return "grpc-stdout";
    case output_source::grpc_stderr: return "grpc-stderr";
    }
    return "?";
}

plugin_client::plugin_client(asio::any_io_executor ex, client_config cfg)
    : ex_(std::move(ex))
    , cfg_(std::move(cfg))
    , signal_(ex_, clock::time_point::max())
{
}

plugin_client::~plugin_client()
{
    if (child_ && !shut_down_)
    {
        child_->kill_and_reap();
        remove_leftover_sockets();
    }
    if (child_)
        child_->close_pipes(); // the readers end even if a grandchild holds the pipes
}

std::optional<exit_status> plugin_client::exit() const
{
    if (exit_)
        return exit_;
    return child_ ? child_->status() : std::nullopt;
}

// -- launch -------------------------------------------------------------------------------

asio::awaitable<plugin_client::result_type>
plugin_client::launch(asio::any_io_executor ex, const command& cmd, const client_config& cfg)
{
    auto strand = asio::make_strand(ex);
    auto self = std::make_shared<plugin_client>(strand, cfg);
    return asio::co_spawn(strand, do_launch(std::move(self), cmd), asio::use_awaitable);
}

asio::awaitable<plugin_client::result_type> plugin_client::reattach(asio::any_io_executor ex,
                                                                    const wire::reattach_config& rc,
                                                                    const client_config& cfg)
{
    auto strand = asio::make_strand(ex);
    auto self = std::make_shared<plugin_client>(strand, cfg);
    return asio::co_spawn(strand, do_reattach(std::move(self), rc), asio::use_awaitable);
}

asio::awaitable<plugin_client::result_type>
plugin_client::do_launch(std::shared_ptr<plugin_client> self, command cmd)
{
    if (auto started = self->start_process(std::move(cmd)); !started)
        co_return started.error();
    auto line_failure = co_await self->wait_for_handshake_line();
    if (line_failure)
    {
        failure f = std::move(*line_failure);
        co_return co_await self->abandon(f);
    }
    if (auto refused = self->accept_handshake_line())
    {
        failure f = std::move(*refused);
        co_return co_await self->abandon(f);
    }
    std::string target = wire::dial_target(self->handshake_.network, self->handshake_.address);
    auto connected = co_await self->connect(target);
    if (!connected)
    {
        failure f = connected.error();
        co_return co_await self->abandon(f);
    }
    co_return self;
}

boost::system::result<void, failure> plugin_client::start_process(command cmd)
{
    cmd_ = std::move(cmd);
    if (cmd_.path.empty())
        return make_error(errc::invalid_config, "no plugin executable given");
    if (cfg_.protocol_versions.empty())
        return make_error(errc::invalid_config, "no app protocol version to offer the plugin");

    environment_options eo;
    eo.cookie_key = cfg_.magic_cookie_key;
    eo.cookie_value = cfg_.magic_cookie_value;
    eo.protocol_versions = cfg_.protocol_versions;
    eo.min_port = cfg_.min_port;
    eo.max_port = cfg_.max_port;
    eo.unix_socket_dir = cfg_.unix_socket_dir;
    eo.extra = cfg_.env;
    eo.skip_host_env = cfg_.skip_host_env;
    if (cfg_.auto_mtls)
    {
        // go-plugin's generateCert: ECDSA P-521, CN and SAN localhost, CA, client+server EKU.
        wire::certificate_options co;
        co.curve = wire::ec_curve::p521;
        co.ip_addresses.clear();
        auto gen = wire::generate_certificate(co);
        if (!gen)
            return make_error(errc::tls_setup_failed,
                              "cannot generate the host certificate: " + gen.error().message);
        host_cert_ = std::move(*gen);
        eo.client_cert_pem = host_cert_->certificate_pem;
    }

    spawn_options so;
    so.path = cmd_.path;
    so.args = cmd_.args;
    so.env = make_plugin_environment(current_environment(), eo);
    so.inherit_stdin = cfg_.inherit_stdin;
    timings_.started = clock::now();
    auto child = child_process::spawn(ex_, so);
    if (!child)
        return make_error(errc::spawn_failed,
                          "cannot start plugin " + cmd_.path + ": " + child.error().message());
    child_ = std::shared_ptr<child_process>(std::move(*child));
    pid_ = child_->pid();
    const std::string pid_text = std::to_string(pid_);
    cfg_.log.log(log_level::debug, log_module, "plugin started",
                 {{"path", cmd_.path}, {"pid", pid_text}});

    std::weak_ptr<plugin_client> weak = weak_from_this();
    asio::co_spawn(
        ex_, read_stdout(weak, child_),
        rpcplugin::detail::log_exceptions(cfg_.log, log_module, "reading the plugin's stdout"));
    asio::co_spawn(
        ex_, read_stderr(weak, child_),
        rpcplugin::detail::log_exceptions(cfg_.log, log_module, "reading the plugin's stderr"));
    asio::co_spawn(
        ex_, watch_exit(weak, child_),
        rpcplugin::detail::log_exceptions(cfg_.log, log_module, "watching the plugin's exit"));
    return {};
}

asio::awaitable<std::optional<failure>> plugin_client::wait_for_handshake_line()
{
    // The handshake line, the exit, or the timeout, whichever comes first.
    const auto deadline = timings_.started + cfg_.start_timeout;
    for (;;)
    {
        if (first_line_)
            break;
        if (exit_ || stdout_eof_)
        {
            // The line may still be in the pipe: read to the end of the output first.
            co_await wait_for_output_end(500ms);
            if (first_line_)
                break;
            failure f = make_error(errc::plugin_exited, "plugin exited before we could connect");
            if (!exit_)
                f.message = "plugin closed its stdout without printing a handshake line";
            co_return f;
        }
        if (clock::now() >= deadline)
            co_return make_error(errc::start_timeout,
                                 "timeout while waiting for plugin to start (no handshake "
                                 "line within " +
                                     ms_text(cfg_.start_timeout) + ")");
        co_await wait_for(deadline);
    }
    timings_.handshake = clock::now();
    handshake_text_ = *first_line_;
    co_return std::nullopt;
}

std::optional<failure> plugin_client::accept_handshake_line()
{
    wire::host_expectations expect;
    expect.versions = cfg_.protocol_versions;
    expect.allowed_protocols = cfg_.allowed_protocols;
    auto hs = check_handshake_line(handshake_text_, expect, cfg_.auto_mtls);
    if (!hs)
        return hs.error();
    handshake_ = std::move(*hs);
    cfg_.log.log(log_level::debug, log_module, "handshake",
                 {{"line", handshake_text_.substr(0, 200)}});
    if (exit_)
        return make_error(errc::plugin_exited,
                          "plugin exited right after printing its handshake line");
    return std::nullopt;
}

asio::awaitable<plugin_client::result_type>
plugin_client::do_reattach(std::shared_ptr<plugin_client> self, wire::reattach_config rc)
{
    self->timings_.started = clock::now();
    self->pid_ = rc.pid;
    self->handshake_.app_version = rc.protocol_version;
    self->handshake_.network = rc.network;
    self->handshake_.address = rc.address;
    self->handshake_.protocol = rc.protocol;
    self->timings_.handshake = self->timings_.started;
    if (rc.protocol != "grpc")
        co_return make_error(errc::unsupported_protocol, "unsupported plugin protocol \"" +
                                                             rc.protocol + "\". Supported: [grpc]");
    std::string target = wire::dial_target(rc.network, rc.address);
    auto connected = co_await self->connect(target);
    if (!connected)
    {
        self->shut_down_ = true;
        co_return connected.error();
    }
    co_return self;
}

asio::awaitable<boost::system::result<void, failure>>
plugin_client::connect(const std::string& target)
{
    grpc::channel_options opts = cfg_.channel;
    opts.log = cfg_.log;
    std::string plugin_cert_pem;
    if (!handshake_.server_cert_der.empty())
    {
        auto pem = wire::certificate_der_to_pem(handshake_.server_cert_der);
        if (!pem)
            co_return make_error(errc::bad_server_certificate,
                                 "error parsing server cert: " + pem.error().message);
        plugin_cert_pem = std::move(*pem);
        tls::client_config tc;
        tc.server_roots_pem = plugin_cert_pem; // the plugin's certificate is the only root
        tc.server_name = "localhost";
        if (host_cert_)
        {
            tc.certificate_chain_pem = host_cert_->certificate_pem;
            tc.private_key_pem = host_cert_->private_key_pem;
        }
        opts.tls = std::move(tc);
    }

    static thread_local std::mt19937_64 rng{std::random_device{}()};
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const unsigned attempts = std::max(1u, cfg_.connect_backoff.max_attempts);
    error_code last;
    for (unsigned attempt = 1;; ++attempt)
    {
        auto r = co_await grpc::channel::connect(ex_, target, opts);
        if (r)
        {
            channel_ = std::move(*r);
            break;
        }
        last = r.error();
        const std::string attempt_text = std::to_string(attempt);
        cfg_.log.log(log_level::debug, log_module, "connect attempt failed",
                     {{"target", target}, {"attempt", attempt_text}, {"error", last.message()}});
        if (!transient(last) || attempt >= attempts || (child_ && exit_))
            co_return make_error(errc::connect_failed, "cannot connect to the plugin at " + target +
                                                           ": " + last.message());
        asio::steady_timer t(ex_, backoff_delay(cfg_.connect_backoff, attempt, unit(rng)));
        co_await t.async_wait(use_tuple);
    }
    timings_.connected = clock::now();

    broker::settings bs;
    bs.network = handshake_.network;
    bs.socket_dir = socket_dir_for(cfg_);
    bs.channel = opts;
    bs.dial_timeout = cfg_.broker_dial_timeout;
    bs.server_options.log = opts.log;
    bs.server_options.max_receive_message_size = cfg_.channel.max_receive_message_size;
    bs.server_options.max_send_message_size = cfg_.channel.max_send_message_size;
    if (host_cert_ && !plugin_cert_pem.empty())
    {
        // Brokered servers: the host certificate, and only the plugin's is accepted.
        tls::server_config sc;
        sc.certificate_chain_pem = host_cert_->certificate_pem;
        sc.private_key_pem = host_cert_->private_key_pem;
        sc.client_roots_pem = plugin_cert_pem;
        sc.require_client_certificate = true;
        auto ctx = tls::make_server_context(sc);
        if (!ctx)
            co_return make_error(errc::tls_setup_failed,
                                 "cannot set up TLS for brokered servers: " +
                                     ctx.error().message());
        bs.server_tls = *ctx;
    }
    broker_ = std::make_shared<host::broker>(ex_, std::move(bs));
    asio::co_spawn(ex_, run_broker(broker_, channel_),
                   rpcplugin::detail::log_exceptions(cfg_.log, log_module, "the broker stream"));
    if (cfg_.consume_stdio)
        asio::co_spawn(ex_, read_stdio(weak_from_this(), channel_),
                       rpcplugin::detail::log_exceptions(cfg_.log, log_module, "the stdio stream"));
    co_return boost::system::result<void, failure>{};
}

// -- waiting ------------------------------------------------------------------------------

asio::awaitable<void> plugin_client::wait_for(clock::time_point deadline)
{
    asio::steady_timer t(ex_, deadline);
    co_await (signal_.async_wait(use_tuple) || t.async_wait(use_tuple));
}

asio::awaitable<void> plugin_client::wait_for_output_end(std::chrono::milliseconds limit)
{
    const auto deadline = clock::now() + limit;
    while (!(stdout_eof_ && stderr_eof_ && (exit_ || !child_)) && clock::now() < deadline)
        co_await wait_for(deadline);
}

asio::awaitable<failure> plugin_client::abandon(const failure& reason)
{
    failure f = reason;
    shut_down_ = true;
    const bool had_exited = exit_.has_value();
    if (child_ && !had_exited)
        child_->kill();
    co_await wait_for_output_end(had_exited ? 500ms : 300ms);
    if (child_)
    {
        auto st = child_->kill_and_reap();
        if (!exit_)
            exit_ = st;
        child_->close_pipes();
        if (had_exited)
            f.message += " (" + st.to_string() + ")";
    }
    for (const auto& path : remove_leftover_sockets())
        cfg_.log.log(log_level::debug, log_module, "removed the plugin's socket file",
                     {{"path", path}});
    if (!tail_.empty())
    {
        f.message += "\nplugin stderr (last " + std::to_string(tail_.size()) + " lines):";
        for (const auto& l : tail_)
            f.message += "\n  " + l;
    }
    cfg_.log.log(log_level::error, log_module, "plugin failed to start", {{"error", f.message}});
    co_return f;
}

std::vector<std::string> plugin_client::remove_leftover_sockets()
{
    std::vector<std::string> paths;
    if (handshake_.network == "unix" && !handshake_.address.empty())
        paths.push_back(handshake_.address);
    if (broker_)
        for (const auto& p : broker_->plugin_socket_paths())
            paths.push_back(p);
    std::vector<std::string> removed;
    for (const auto& p : paths)
    {
        struct stat st
        {
        };
        if (::lstat(p.c_str(), &st) == 0 && S_ISSOCK(st.st_mode) && ::unlink(p.c_str()) == 0)
            removed.push_back(p);
    }
    return removed;
}
} // namespace rpcplugin::host
