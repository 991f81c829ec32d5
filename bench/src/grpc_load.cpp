// Load with rpcplugin's own client: closed-loop workers on channels, one client thread.
#include "load.hpp"
#include "phase.hpp"

#include "bench/echo.pb.h"

#include <rpcplugin/detail/waiter.hpp>
#include <rpcplugin/grpc/channel.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <deque>
#include <memory>

namespace bench
{
namespace
{
namespace asio = boost::asio;
namespace rg = rpcplugin::grpc;
using rpcplugin::use_tuple;
using clock = std::chrono::steady_clock;

constexpr const char* unary_path = "/rpcplugin.bench.Echo/Unary";
constexpr const char* stream_path = "/rpcplugin.bench.Echo/ServerStream";
constexpr const char* bidi_path = "/rpcplugin.bench.Echo/Bidi";

std::uint64_t ns_since(clock::time_point t0)
{
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now() - t0).count());
}

std::string status_text(const rg::status& s)
{
    return "status " + std::to_string(static_cast<int>(s.code())) + ": " + s.message();
}

// What the client sends, serialized once.
struct messages
{
    std::string request;       // Payload of `size` bytes, or the StreamRequest
    std::size_t response_size; // serialized size of one response message
};

messages make_messages(const load_config& cfg, std::uint32_t stream_messages)
{
    rpcplugin::bench::Payload p;
    p.mutable_data()->assign(cfg.size, 'x');
    messages m;
    m.response_size = p.ByteSizeLong();
    if (cfg.load == workload::server_stream)
    {
        rpcplugin::bench::StreamRequest r;
        r.set_size(static_cast<std::uint32_t>(cfg.size));
        r.set_count(stream_messages);
        m.request = r.SerializeAsString();
    }
    else
        m.request = p.SerializeAsString();
    return m;
}

asio::awaitable<void> unary_worker(std::shared_ptr<rg::channel> ch, phase_state& st,
                                   const messages& msgs)
{
    std::string response;
    const std::string_view request = msgs.request;
    while (!st.stopping)
    {
        auto t0 = clock::now();
        auto call = ch->start_call(unary_path);
        co_await call->write(request);
        call->writes_done();
        bool got = co_await call->read(response);
        rg::status s = co_await call->finish();
        std::uint64_t ns = ns_since(t0);
        if (!s.ok())
            st.error("Unary: " + status_text(s));
        else if (!got)
            st.error("Unary: OK without a response message");
        else if (response != request)
            st.error("Unary: the response is not the request (" + std::to_string(response.size()) +
                     " bytes, sent " + std::to_string(request.size()) + ")");
        else
            st.done(ns, 1, 1, st.cfg.size);
        if (!ch->is_open())
        {
            if (!st.stopping)
                st.error("connection closed: " + ch->error().message());
            break;
        }
    }
    st.worker_done();
}

asio::awaitable<void> stream_worker(std::shared_ptr<rg::channel> ch, phase_state& st,
                                    const messages& msgs, std::uint32_t count)
{
    std::string response;
    const std::string_view request = msgs.request;
    while (!st.stopping)
    {
        auto t0 = clock::now();
        auto call = ch->start_call(stream_path);
        co_await call->write(request);
        call->writes_done();
        std::uint32_t n = 0;
        bool bad = false;
        for (;;)
        {
            bool got = co_await call->read(response);
            if (!got)
                break;
            ++n;
            if (response.size() != msgs.response_size)
                bad = true;
            else
                st.progress(1, st.cfg.size);
        }
        rg::status s = co_await call->finish();
        std::uint64_t ns = ns_since(t0);
        if (!s.ok())
            st.error("ServerStream: " + status_text(s));
        else if (bad || n != count)
            st.error("ServerStream: got " + std::to_string(n) + " messages of " +
                     std::to_string(count) + (bad ? ", some of the wrong size" : ""));
        else
            st.done(ns, 0, 1, 0);
        if (!ch->is_open())
        {
            if (!st.stopping)
                st.error("connection closed: " + ch->error().message());
            break;
        }
    }
    st.worker_done();
}

// One Bidi call per worker for the whole run: a writer keeps `window` messages in flight,
// the reader takes the echoes and times each round trip.
struct bidi_flow
{
    explicit bidi_flow(asio::any_io_executor ex)
        : room(std::move(ex))
    {
    }
    std::deque<clock::time_point> sent;
    rpcplugin::detail::waiter room;
    bool reader_done = false;
};

asio::awaitable<void> bidi_writer(std::shared_ptr<rg::client_call> call, phase_state& st,
                                  bidi_flow& flow, std::string_view request, unsigned window)
{
    while (!st.stopping && !flow.reader_done)
    {
        if (flow.sent.size() >= window)
        {
            co_await flow.room.async_wait(use_tuple);
            continue;
        }
        flow.sent.push_back(clock::now());
        bool ok = co_await call->write(request);
        if (!ok)
            break;
    }
    call->writes_done();
}

asio::awaitable<void> bidi_reader(std::shared_ptr<rg::client_call> call, phase_state& st,
                                  bidi_flow& flow, const messages& msgs)
{
    std::string response;
    for (;;)
    {
        bool got = co_await call->read(response);
        if (!got)
            break;
        if (flow.sent.empty())
        {
            st.error("Bidi: more responses than requests");
            break;
        }
        std::uint64_t ns = static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now() - flow.sent.front())
                .count());
        flow.sent.pop_front();
        flow.room.notify();
        if (response.size() != msgs.response_size)
            st.error("Bidi: response of " + std::to_string(response.size()) + " bytes, expected " +
                     std::to_string(msgs.response_size));
        else
            st.done(ns, 1, 0, st.cfg.size);
    }
    flow.reader_done = true;
    flow.room.notify();
}

asio::awaitable<void> bidi_worker(std::shared_ptr<rg::channel> ch, phase_state& st,
                                  const messages& msgs, unsigned window)
{
    using namespace asio::experimental::awaitable_operators;
    auto call = ch->start_call(bidi_path);
    bidi_flow flow(ch->get_executor());
    const std::string_view request = msgs.request;
    // Named first: g++ 12 mishandles class-type temporaries inside a co_await expression.
    auto writer = bidi_writer(call, st, flow, request, window);
    auto reader = bidi_reader(call, st, flow, msgs);
    co_await (std::move(writer) && std::move(reader));
    rg::status s = co_await call->finish();
    if (!s.ok())
        st.error("Bidi: " + status_text(s));
    else if (!flow.sent.empty())
        st.error("Bidi: " + std::to_string(flow.sent.size()) + " messages not echoed");
    else
        st.done_call();
    st.worker_done();
}

asio::awaitable<void> drive(const load_config& cfg, phase_state& st, load_result& out)
{
    auto ex = co_await asio::this_coro::executor;
    rg::channel_options opts;
    opts.tls = cfg.tls;
    const std::string_view target = cfg.target;
    std::vector<std::shared_ptr<rg::channel>> channels;
    for (unsigned i = 0; i < cfg.connections; ++i)
    {
        auto ch = co_await rg::channel::connect(ex, target, opts);
        if (!ch)
        {
            out.fatal = "cannot connect to " + cfg.target + ": " + ch.error().message();
            for (auto& c : channels)
                c->close();
            co_return;
        }
        channels.push_back(*ch);
    }

    std::uint32_t count = cfg.stream_messages;
    if (count == 0)
        count = static_cast<std::uint32_t>(
            std::clamp<std::size_t>((8u << 20) / std::max<std::size_t>(cfg.size, 1), 1, 10000));
    unsigned window = cfg.bidi_window;
    if (window == 0)
        window = static_cast<unsigned>(
            std::clamp<std::size_t>((1u << 20) / std::max<std::size_t>(cfg.size, 1), 1, 64));
    const messages msgs = make_messages(cfg, count);

    for (auto& ch : channels)
        for (unsigned s = 0; s < cfg.streams; ++s)
        {
            ++st.alive;
            switch (cfg.load)
            {
            case workload::unary:
                asio::co_spawn(ch->get_executor(), unary_worker(ch, st, msgs), asio::detached);
                break;
            case workload::server_stream:
                asio::co_spawn(ch->get_executor(), stream_worker(ch, st, msgs, count),
                               asio::detached);
                break;
            default:
                asio::co_spawn(ch->get_executor(), bidi_worker(ch, st, msgs, window),
                               asio::detached);
                break;
            }
        }

    co_await run_phases(st, out);
    for (auto& ch : channels)
        ch->close();
}
} // namespace

load_result run_grpc_load(const load_config& cfg)
{
    load_result out;
    out.config = cfg;
    asio::io_context io(1);
    phase_state st(cfg, io.get_executor());
    asio::co_spawn(io, drive(cfg, st, out),
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
                           out.fatal = std::string("load driver failed: ") + x.what();
                       }
                   });
    io.run();
    out.error_samples = st.error_samples;
    return out;
}
} // namespace bench
