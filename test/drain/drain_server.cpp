// rpcplugin-drain-server: a go-plugin plugin serving drain.DrainTest (drainsvc.proto) for
// the drain tests. It is a plain `plugin::server`, so every drain trigger works: SIGTERM,
// plugin.GRPCController/Shutdown, PLUGIN_SHUTDOWN_FILE_PATH, and `stop()` (called from
// another thread when SIGUSR1 arrives, with --stop-on-sigusr1).
//
//     rpcplugin-drain-server --markers FILE [--stop-on-sigusr1]
//
// Magic cookie RPCPLUGIN_DRAIN_TEST=drain. The handlers append one line per event to
// FILE: "<CLOCK_MONOTONIC ns> <event> <tag>", events sleep-start, sleep-done,
// sleep-cancelled, hang-start, hang-cancelled, stream-start, stream-done,
// stream-cancelled, and "stop-called -" when stop() is called.
#include "drainsvc.rpcplugin.pb.h"
#include "support/program.hpp"

#include <rpcplugin/plugin/server.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <thread>

#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

namespace
{
namespace asio = boost::asio;
namespace rg = rpcplugin::grpc;
using rg::status;
using rg::status_code;
using rpcplugin::use_tuple;

// Appends "<monotonic ns> <event> <tag>\n" with one write(2) (O_APPEND: lines never mix).
class marker_file
{
public:
    explicit marker_file(const std::string& path)
        : fd_(::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600))
    {
    }
    ~marker_file()
    {
        if (fd_ >= 0)
            ::close(fd_);
    }
    marker_file(const marker_file&) = delete;
    marker_file& operator=(const marker_file&) = delete;

    bool ok() const noexcept { return fd_ >= 0; }

    void mark(std::string_view event, std::string_view tag) const
    {
        auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::steady_clock::now().time_since_epoch())
                      .count();
        std::string line = std::to_string(ns) + " " + std::string(event) + " " +
                           std::string(tag.empty() ? "-" : tag) + "\n";
        [[maybe_unused]] auto n = ::write(fd_, line.data(), line.size());
    }

private:
    int fd_;
};

class drain_service final : public drain::DrainTest::Service
{
public:
    explicit drain_service(const marker_file& markers)
        : markers_(markers)
    {
    }

    asio::awaitable<status> Sleep(rg::server_context&, const drain::SleepRequest& req,
                                  drain::Reply& reply) override
    {
        markers_.mark("sleep-start", req.tag());
        asio::steady_timer t(co_await asio::this_coro::executor,
                             std::chrono::milliseconds(req.ms()));
        auto [ec] = co_await t.async_wait(use_tuple);
        if (ec)
        {
            markers_.mark("sleep-cancelled", req.tag());
            co_return status(status_code::cancelled, "sleep cancelled");
        }
        markers_.mark("sleep-done", req.tag());
        reply.set_tag(req.tag());
        co_return status();
    }

    asio::awaitable<status> Hang(rg::server_context& ctx, const drain::HangRequest& req,
                                 drain::Reply&) override
    {
        markers_.mark("hang-start", req.tag());
        asio::steady_timer t(co_await asio::this_coro::executor,
                             std::chrono::steady_clock::time_point::max());
        auto [ec] = co_await t.async_wait(use_tuple);
        // Only cancellation ends the wait; record that the handler saw it.
        markers_.mark(ec == asio::error::operation_aborted && ctx.cancelled() ? "hang-cancelled"
                                                                              : "hang-woken",
                      req.tag());
        co_return status(status_code::cancelled, "hang cancelled");
    }

    asio::awaitable<status> Stream(rg::server_context&, const drain::StreamRequest& req,
                                   rg::server_writer<drain::Reply>& writer) override
    {
        markers_.mark("stream-start", req.tag());
        asio::steady_timer t(co_await asio::this_coro::executor);
        for (int i = 0; i < req.count(); ++i)
        {
            t.expires_after(std::chrono::milliseconds(req.interval_ms()));
            auto [ec] = co_await t.async_wait(use_tuple);
            drain::Reply r;
            r.set_tag(req.tag());
            r.set_index(i);
            bool ok = !ec;
            if (ok)
                ok = co_await writer.write(r);
            if (!ok)
            {
                markers_.mark("stream-cancelled", req.tag());
                co_return status(status_code::cancelled, "stream cancelled");
            }
        }
        markers_.mark("stream-done", req.tag());
        co_return status();
    }

private:
    const marker_file& markers_;
};

int usage()
{
    std::fputs("usage: rpcplugin-drain-server --markers FILE [--stop-on-sigusr1]\n", stderr);
    return 2;
}
} // namespace

int main(int argc, char** argv)
{
    std::string markers_path;
    bool stop_on_sigusr1 = false;
    try
    {
        for (rpcplugin::test::program_args args(argc, argv); args.next();)
        {
            if (args.is("--markers"))
                markers_path = args.value();
            else if (args.is("--stop-on-sigusr1"))
                stop_on_sigusr1 = true;
            else
                return usage();
        }
    }
    catch (const std::logic_error&) // a missing value
    {
        return usage();
    }
    if (markers_path.empty())
        return usage();
    marker_file markers(markers_path);
    if (!markers.ok())
    {
        std::fprintf(stderr, "cannot open %s: %s\n", markers_path.c_str(), std::strerror(errno));
        return 2;
    }

    // Blocked before any other thread exists, so only the stopper thread receives it.
    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    if (stop_on_sigusr1)
        pthread_sigmask(SIG_BLOCK, &usr1, nullptr);

    asio::io_context io(1);
    rpcplugin::plugin::config defaults;
    defaults.magic_cookie_key = "RPCPLUGIN_DRAIN_TEST";
    defaults.magic_cookie_value = "drain";
    defaults.protocol_versions = {1};
    rpcplugin::plugin::server plugin(io, defaults);
    drain_service service(markers);
    drain::DrainTest::register_service(plugin.services(), service);

    // stop() from another thread, as an application would call it.
    std::atomic<bool> exiting{false};
    std::thread stopper;
    if (stop_on_sigusr1)
        stopper = std::thread(
            [&]
            {
                int sig = 0;
                sigwait(&usr1, &sig);
                if (exiting)
                    return;
                markers.mark("stop-called", "");
                plugin.stop();
            });

    int code = plugin.run();
    if (stopper.joinable())
    {
        exiting = true;
        pthread_kill(stopper.native_handle(), SIGUSR1);
        stopper.join();
    }
    return code;
}
