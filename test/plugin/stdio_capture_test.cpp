#include "rpcplugin/plugin/stdio_capture.hpp"

#include "rpcplugin/grpc/channel.hpp"
#include "rpcplugin/plugin/stdio_service.hpp"
#include "rpcplugin/transport/listener.hpp"
#include "support/run.hpp"
#include "support/temp_dir.hpp"

#include "plugin/grpc_stdio.pb.h"

#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace asio = boost::asio;
namespace rpp = rpcplugin::plugin; // ::plugin is go-plugin's proto package
namespace rg = rpcplugin::grpc;
using rpp::stdio_channel;
using namespace std::chrono_literals;

namespace
{
// Log records kept for inspection (the service logs from the reader thread).
struct log_records
{
    std::mutex mutex;
    std::vector<std::string> lines;

    rpcplugin::logger logger()
    {
        return rpcplugin::logger(rpcplugin::log_level::trace,
                                 [this](rpcplugin::log_level, std::string_view,
                                        std::string_view message,
                                        std::initializer_list<rpcplugin::log_field> fields)
                                 {
                                     std::string line(message);
                                     for (auto& [k, v] : fields)
                                         line += " " + std::string(k) + "=" + std::string(v);
                                     std::lock_guard lock(mutex);
                                     lines.push_back(line);
                                 });
    }
    bool has(std::string_view text)
    {
        std::lock_guard lock(mutex);
        for (auto& l : lines)
            if (l.find(text) != std::string::npos)
                return true;
        return false;
    }
};

struct collected
{
    std::string out;
    std::string err;
    std::size_t chunks = 0;
    std::size_t largest = 0;
};

collected take_all(rpp::stdio_service& svc)
{
    collected c;
    while (auto chunk = svc.try_pop())
    {
        ++c.chunks;
        c.largest = std::max(c.largest, chunk->data.size());
        (chunk->channel == stdio_channel::stderr_channel ? c.err : c.out) += chunk->data;
    }
    return c;
}

std::size_t open_descriptors()
{
    std::size_t n = 0;
    for ([[maybe_unused]] auto& e : std::filesystem::directory_iterator("/proc/self/fd"))
        ++n;
    return n;
}

struct stat stat_of(int fd)
{
    struct stat st = {};
    ::fstat(fd, &st);
    return st;
}

void flush_everything()
{
    std::cout.flush();
    std::cerr.flush();
    std::fflush(stdout);
    std::fflush(stderr);
}
} // namespace

// Nothing may CHECK while the capture is active: doctest's own output would be captured.
TEST_SUITE("plugin")
{
    TEST_CASE("stdio_capture moves fd 1 and 2, children included, into the service")
    {
        log_records logs;
        const auto log = logs.logger();
        rpp::stdio_service svc(4 * 1024 * 1024, log);
        flush_everything();
        const std::size_t fds_before = open_descriptors();
        const struct stat out_before = stat_of(1);
        const struct stat err_before = stat_of(2);
        collected got;
        bool active = false;
        int child = -1;
        {
            rpp::stdio_capture cap(svc);
            REQUIRE(cap.prepare());
            REQUIRE(cap.activate());
            active = cap.active();
            ::write(1, "raw-out\n", 8);
            std::printf("printf-out\n");
            std::fflush(stdout);
            std::cerr << "cerr-err\n";
            child = std::system("echo child-out; echo child-err 1>&2");
            ::write(2, std::string(5000, 'e').data(), 5000);
            // Larger than a pipe, written from this thread in one call: the reader thread
            // keeps the pipe moving, so this returns.
            const std::string big(1024 * 1024, 'b');
            ::write(1, big.data(), big.size());
            std::printf("buffered-tail");
            cap.sync();
            got = take_all(svc);
            cap.stop();
            cap.stop(); // idempotent
        }
        CHECK(active);
        CHECK(child == 0);
        CHECK(got.out ==
              "raw-out\nprintf-out\nchild-out\n" + std::string(1024 * 1024, 'b') + "buffered-tail");
        CHECK(got.err == "cerr-err\nchild-err\n" + std::string(5000, 'e'));
        CHECK(got.largest <= rpp::stdio_buffer::max_chunk);
        CHECK(got.chunks >= (1024 * 1024 + 5000) / 1024);
        // The descriptors are the originals again and nothing leaked.
        CHECK(stat_of(1).st_ino == out_before.st_ino);
        CHECK(stat_of(1).st_dev == out_before.st_dev);
        CHECK(stat_of(2).st_ino == err_before.st_ino);
        CHECK(open_descriptors() == fds_before);
        CHECK_FALSE(logs.has("dropping"));
    }

    TEST_CASE("stdio_capture delivers at stop what was written last")
    {
        log_records logs;
        const auto log = logs.logger();
        rpp::stdio_service svc(1024 * 1024, log);
        flush_everything();
        rpp::stdio_capture cap(svc);
        REQUIRE(cap.prepare());
        REQUIRE(cap.activate());
        std::printf("unflushed at stop");
        ::write(2, "last words\n", 11);
        cap.stop();
        const auto got = take_all(svc);
        CHECK(got.out == "unflushed at stop");
        CHECK(got.err == "last words\n");
        CHECK_FALSE(cap.active());
        // A second capture with the same service works too.
        REQUIRE(cap.prepare());
        REQUIRE(cap.activate());
        ::write(1, "again\n", 6);
        cap.stop();
        CHECK(take_all(svc).out == "again\n");
    }

    TEST_CASE("stdio_capture without activate changes nothing and leaks nothing")
    {
        log_records logs;
        const auto log = logs.logger();
        rpp::stdio_service svc(1024, log);
        const std::size_t fds_before = open_descriptors();
        {
            rpp::stdio_capture cap(svc);
            REQUIRE(cap.prepare());
            CHECK(open_descriptors() == fds_before + 6);
            CHECK_FALSE(cap.active());
            cap.sync(); // no-op
        }
        CHECK(open_descriptors() == fds_before);
        rpp::stdio_capture unprepared(svc);
        CHECK_FALSE(unprepared.activate());
    }

    TEST_CASE("stdio_service counts what it drops and what was never delivered")
    {
        log_records logs;
        const auto log = logs.logger();
        rpp::stdio_service svc(100, log);
        svc.append(stdio_channel::stdout_channel, std::string(250, 'x'));
        CHECK(logs.has("stdio buffer full: dropping the oldest output until a host reads it "
                       "channel=stdout limit=100"));
        CHECK(svc.pending() == 100);
        svc.append(stdio_channel::stderr_channel, "e");
        svc.report_undelivered();
        CHECK(logs.has("captured output dropped before a host read it channel=stdout bytes=150"));
        CHECK(logs.has("captured output not delivered: no host stream channel=stdout bytes=100"));
        CHECK(logs.has("captured output not delivered: no host stream channel=stderr bytes=1"));
        CHECK(svc.pending() == 0);
        svc.close();
        svc.append(stdio_channel::stdout_channel, "after close");
        CHECK(svc.pending() == 11);
        svc.report_undelivered();
        CHECK(logs.has("captured output not delivered: no host stream channel=stdout bytes=11"));
    }

    TEST_CASE("StreamStdio streams buffered and new output in order and ends after close")
    {
        log_records logs;
        const auto log = logs.logger();
        rpp::stdio_service svc(10, log);
        rpcplugin::test::temp_dir dir;
        asio::io_context io;
        rg::server srv;
        svc.add_to(srv);
        const std::string path = (dir.path() / "stdio.sock").string();
        auto l = rpcplugin::transport::listener::bind(io.get_executor(),
                                                      rpcplugin::transport::unix_endpoint(path))
                     .value();
        asio::co_spawn(io, srv.serve(l), asio::detached);

        // Before a host connects: the buffer keeps the newest 10 bytes of stdout.
        svc.append(stdio_channel::stdout_channel, "0123456789abcdef");
        svc.append(stdio_channel::stderr_channel, "E1");

        struct received
        {
            std::vector<std::pair<int, std::string>> messages;
            rg::status status;
        };
        auto host = [](std::string target, rpp::stdio_service* s) -> asio::awaitable<received>
        {
            auto ex = co_await asio::this_coro::executor;
            auto ch = (co_await rg::channel::connect(ex, target)).value();
            auto call = ch->start_call("/plugin.GRPCStdio/StreamStdio");
            google::protobuf::Empty empty;
            co_await call->write(empty);
            call->writes_done();
            received r;
            ::plugin::StdioData msg;
            while (co_await call->read(msg))
            {
                r.messages.emplace_back(static_cast<int>(msg.channel()), msg.data());
                if (r.messages.size() == 2)
                {
                    // Output that arrives while the stream is open, from another thread.
                    std::thread(
                        [s]
                        {
                            s->append(stdio_channel::stdout_channel, std::string(1500, 'n'));
                            s->append(stdio_channel::stderr_channel, "E2");
                            s->close();
                        })
                        .join();
                }
            }
            r.status = co_await call->finish();
            ch->close();
            co_return r;
        };
        auto r = rpcplugin::test::run(io, host("unix:" + path, &svc));
        rpcplugin::test::run(io, srv.drain(0ms));
        CHECK(r.status.ok());
        REQUIRE(r.messages.size() >= 4);
        CHECK(r.messages[0] == std::pair<int, std::string>{1, "6789abcdef"});
        CHECK(r.messages[1] == std::pair<int, std::string>{2, "E1"});
        std::string later_out, later_err;
        for (std::size_t i = 2; i < r.messages.size(); ++i)
        {
            CHECK(!r.messages[i].second.empty());
            CHECK(r.messages[i].second.size() <= 1024);
            (r.messages[i].first == 1 ? later_out : later_err) += r.messages[i].second;
        }
        // The 1500 bytes arrived while the buffer held at most 10: only the newest 10 stay.
        CHECK(later_out == std::string(10, 'n'));
        CHECK(later_err == "E2");
        CHECK(logs.has("captured output dropped before a host read it channel=stdout bytes=6"));
    }
}
