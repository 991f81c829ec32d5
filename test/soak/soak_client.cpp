// rpcplugin-soak-client: the load side of the soak test (test/soak/soak.py, tools/soak).
//
//   rpcplugin-soak-client --target unix:PATH|HOST:PORT [--seconds N] [--calls N]
//                         [--size BYTES] [--streams N] [--stream-size BYTES]
//
// Against grpc.testing.TestService (rpcplugin-interop-server), on two channels:
//  - sequential large unary calls (UnaryCall, a --size request and a --size response,
//    default 1 MiB each), checked for status and payload size, until --calls calls are
//    done and --seconds have passed;
//  - --streams concurrent FullDuplexCall streams (default 100), each a ping-pong of one
//    --stream-size response per request (default 1 KiB) for the whole run, then a clean
//    half-close and an OK status.
// Prints "PROGRESS seconds=.. calls=.. stream_messages=.. errors=.. load=1" about once a
// second (load=0 on the last one, once the calls and streams are done)
// and "RESULT calls=.. stream_messages=.. errors=.." at the end, then "ERROR ..." lines
// for the first failures. Exits 1 when any call or stream failed, 2 on bad arguments.
#include "rpcplugin/grpc/channel.hpp"
#include "support/program.hpp"

#include "grpc/testing/messages.pb.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace
{
namespace asio = boost::asio;
namespace pb = ::grpc::testing;
using rpcplugin::grpc::call_options;
using rpcplugin::grpc::channel;
using rpcplugin::grpc::status;
using clock_type = std::chrono::steady_clock;

struct config
{
    std::string target;
    double seconds = 30;
    long calls = 0;
    int size = 1024 * 1024;
    int streams = 100;
    int stream_size = 1024;
};

struct totals
{
    long calls = 0;
    long stream_messages = 0;
    long errors = 0;
    int streams_running = 0;
    bool unary_done = false;
    std::vector<std::string> first_errors;

    void error(std::string what)
    {
        ++errors;
        if (first_errors.size() < 10)
            first_errors.push_back(std::move(what));
    }
};

std::string describe(const status& s)
{
    return std::string(rpcplugin::grpc::to_string(s.code())) + ": " + s.message();
}

asio::awaitable<void> unary_loop(std::shared_ptr<channel> ch, const config& cfg, totals& t,
                                 clock_type::time_point end)
{
    pb::SimpleRequest req;
    req.set_response_size(cfg.size);
    req.mutable_payload()->mutable_body()->assign(static_cast<std::size_t>(cfg.size), 'u');
    std::string path = "/grpc.testing.TestService/UnaryCall";
    while (t.calls < cfg.calls || clock_type::now() < end)
    {
        pb::SimpleResponse resp;
        call_options o;
        o.timeout = std::chrono::seconds(30);
        status s = co_await ch->unary(path, req, resp, o);
        ++t.calls;
        if (!s.ok())
            t.error("UnaryCall " + std::to_string(t.calls) + ": " + describe(s));
        else if (resp.payload().body().size() != static_cast<std::size_t>(cfg.size))
            t.error("UnaryCall " + std::to_string(t.calls) + ": response of " +
                    std::to_string(resp.payload().body().size()) + " bytes");
        if (!ch->is_open())
        {
            t.error("unary channel closed: " + ch->error().message());
            break;
        }
    }
    t.unary_done = true;
}

asio::awaitable<void> stream_loop(std::shared_ptr<channel> ch, const config& cfg, totals& t,
                                  int index, clock_type::time_point end)
{
    ++t.streams_running;
    auto call = ch->start_call("/grpc.testing.TestService/FullDuplexCall");
    pb::StreamingOutputCallRequest req;
    req.add_response_parameters()->set_size(cfg.stream_size);
    req.mutable_payload()->mutable_body()->assign(static_cast<std::size_t>(cfg.stream_size), 's');
    std::string where = "stream " + std::to_string(index);
    while (clock_type::now() < end)
    {
        bool wrote = co_await call->write(req);
        if (!wrote)
        {
            t.error(where + ": write failed");
            break;
        }
        pb::StreamingOutputCallResponse resp;
        bool got = co_await call->read(resp);
        if (!got)
        {
            t.error(where + ": no response");
            break;
        }
        if (resp.payload().body().size() != static_cast<std::size_t>(cfg.stream_size))
            t.error(where + ": response of " + std::to_string(resp.payload().body().size()) +
                    " bytes");
        ++t.stream_messages;
    }
    call->writes_done();
    pb::StreamingOutputCallResponse extra;
    bool more = co_await call->read(extra);
    if (more)
        t.error(where + ": a response after the half-close");
    status s = co_await call->finish();
    if (!s.ok())
        t.error(where + ": " + describe(s));
    --t.streams_running;
}

asio::awaitable<void> run(asio::io_context& io, const config& cfg, totals& t)
{
    auto a = co_await channel::connect(io.get_executor(), cfg.target);
    auto b = co_await channel::connect(io.get_executor(), cfg.target);
    if (!a || !b)
    {
        t.error("connect: " + (a ? b.error() : a.error()).message());
        co_return;
    }
    auto start = clock_type::now();
    auto end = start + std::chrono::duration_cast<clock_type::duration>(
                           std::chrono::duration<double>(cfg.seconds));
    asio::co_spawn((*a)->get_executor(), unary_loop(*a, cfg, t, end), asio::detached);
    for (int i = 0; i < cfg.streams; ++i)
        asio::co_spawn((*b)->get_executor(), stream_loop(*b, cfg, t, i, end), asio::detached);

    asio::steady_timer tick(io);
    for (;;)
    {
        tick.expires_after(std::chrono::seconds(1));
        co_await tick.async_wait(asio::use_awaitable);
        double elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
        bool done = t.unary_done && t.streams_running == 0;
        std::printf("PROGRESS seconds=%.0f calls=%ld stream_messages=%ld errors=%ld load=%d\n",
                    elapsed, t.calls, t.stream_messages, t.errors, done ? 0 : 1);
        std::fflush(stdout);
        if (done)
            break;
    }
    (*a)->close();
    (*b)->close();
}
} // namespace

int main(int argc, char** argv)
{
    config cfg;
    try
    {
        for (rpcplugin::test::program_args args(argc, argv); args.next();)
        {
            if (args.is("--target"))
                cfg.target = args.value();
            else if (args.is("--seconds"))
                cfg.seconds = std::stod(args.value());
            else if (args.is("--calls"))
                cfg.calls = std::stol(args.value());
            else if (args.is("--size"))
                cfg.size = std::stoi(args.value());
            else if (args.is("--streams"))
                cfg.streams = std::stoi(args.value());
            else if (args.is("--stream-size"))
                cfg.stream_size = std::stoi(args.value());
            else
                throw std::invalid_argument("unknown option");
        }
    }
    catch (const std::exception&)
    {
        std::cerr << "usage: rpcplugin-soak-client --target T [--seconds N] [--calls N] "
                     "[--size BYTES] [--streams N] [--stream-size BYTES]\n";
        return 2;
    }
    if (cfg.target.empty())
    {
        std::cerr << "rpcplugin-soak-client: --target is required\n";
        return 2;
    }
    asio::io_context io(1);
    totals t;
    asio::co_spawn(io, run(io, cfg, t),
                   [&](std::exception_ptr e)
                   {
                       if (!e)
                           return;
                       try
                       {
                           std::rethrow_exception(e);
                       }
                       catch (const std::exception& x)
                       {
                           t.error(std::string("exception: ") + x.what());
                       }
                   });
    io.run();
    std::printf("RESULT calls=%ld stream_messages=%ld errors=%ld\n", t.calls, t.stream_messages,
                t.errors);
    for (const auto& e : t.first_errors)
        std::printf("ERROR %s\n", e.c_str());
    return t.errors == 0 && t.calls > 0 ? 0 : 1;
}
