#include "fuzz/support/fuzz_service.hpp"

#include "grpc/testing/empty.pb.h"
#include "grpc/testing/messages.pb.h"

#include <google/protobuf/stubs/logging.h>

#include <algorithm>
#include <string>
#include <vector>

namespace rpcplugin::fuzz
{
namespace
{
namespace pb = ::grpc::testing;
using grpc::server_context;
using grpc::status;
using grpc::status_code;

std::string path(std::string_view method)
{
    return "/grpc.testing.TestService/" + std::string(method);
}

struct live_guard
{
    explicit live_guard(liveness& l) noexcept
        : live(l)
    {
        ++live.handlers;
    }
    ~live_guard() { --live.handlers; }
    live_guard(const live_guard&) = delete;
    live_guard& operator=(const live_guard&) = delete;
    liveness& live;
};

asio::awaitable<status> run_counted(liveness& live, const grpc::raw_handler& h, server_context& ctx)
{
    live_guard guard(live);
    co_return co_await h(ctx);
}

void echo_metadata(server_context& ctx)
{
    if (auto* v = grpc::find(ctx.client_metadata(), "x-grpc-test-echo-initial"))
        ctx.add_initial_metadata("x-grpc-test-echo-initial", *v);
    if (auto* v = grpc::find(ctx.client_metadata(), "x-grpc-test-echo-trailing-bin"))
        ctx.add_trailing_metadata("x-grpc-test-echo-trailing-bin", *v);
}

status echo_status(const pb::EchoStatus& s)
{
    return status(grpc::status_code_from_int(s.code()), s.message());
}

void fill_payload(pb::Payload& p, int size)
{
    p.set_type(pb::COMPRESSABLE);
    p.mutable_body()->assign(static_cast<std::size_t>(std::clamp(size, 0, max_response_size)), 'z');
}

asio::awaitable<bool> respond(server_context& ctx,
                              grpc::server_writer<pb::StreamingOutputCallResponse>& w,
                              const pb::StreamingOutputCallRequest& req)
{
    int n = 0;
    for (const auto& p : req.response_parameters())
    {
        if (++n > 16)
            break;
        pb::StreamingOutputCallResponse resp;
        fill_payload(*resp.mutable_payload(), p.size());
        if (p.compressed().value())
            ctx.set_compression(grpc::encoding::gzip);
        if (bool ok = co_await w.write(resp, {.compress = p.compressed().value()}); !ok)
            co_return false;
    }
    co_return true;
}

asio::awaitable<status> unary(server_context& ctx, const pb::SimpleRequest& req,
                              pb::SimpleResponse& resp)
{
    echo_metadata(ctx);
    if (req.expect_compressed().value() && !ctx.last_message_compressed())
        co_return status(status_code::invalid_argument, "expected a compressed request message");
    if (req.response_compressed().value())
        ctx.set_compression(grpc::encoding::deflate);
    if (req.has_response_status() && req.response_status().code() != 0)
        co_return echo_status(req.response_status());
    fill_payload(*resp.mutable_payload(), req.response_size());
    co_return status();
}

asio::awaitable<status> empty(server_context& ctx, const pb::Empty&, pb::Empty&)
{
    echo_metadata(ctx);
    co_return status();
}

asio::awaitable<status> streaming_input(server_context& ctx,
                                        grpc::server_reader<pb::StreamingInputCallRequest>& reader,
                                        pb::StreamingInputCallResponse& resp)
{
    echo_metadata(ctx);
    pb::StreamingInputCallRequest req;
    std::int64_t total = 0;
    while (co_await reader.read(req))
        total += static_cast<std::int64_t>(req.payload().body().size());
    resp.set_aggregated_payload_size(static_cast<std::int32_t>(total));
    co_return status();
}

asio::awaitable<status> streaming_output(server_context& ctx,
                                         const pb::StreamingOutputCallRequest& req,
                                         grpc::server_writer<pb::StreamingOutputCallResponse>& w)
{
    echo_metadata(ctx);
    if (bool ok = co_await respond(ctx, w, req); !ok)
        co_return status(status_code::cancelled, "call ended while streaming");
    if (req.has_response_status() && req.response_status().code() != 0)
        co_return echo_status(req.response_status());
    co_return status();
}

using duplex = grpc::server_stream<pb::StreamingOutputCallRequest, pb::StreamingOutputCallResponse>;

asio::awaitable<status> full_duplex(server_context& ctx, duplex& s)
{
    echo_metadata(ctx);
    pb::StreamingOutputCallRequest req;
    while (co_await s.read(req))
    {
        if (req.has_response_status() && req.response_status().code() != 0)
            co_return echo_status(req.response_status());
        if (bool ok = co_await respond(ctx, s, req); !ok)
            break;
    }
    co_return status();
}

asio::awaitable<status> half_duplex(server_context& ctx, duplex& s)
{
    echo_metadata(ctx);
    std::vector<pb::StreamingOutputCallRequest> all;
    pb::StreamingOutputCallRequest req;
    while (all.size() < 16)
    {
        bool ok = co_await s.read(req);
        if (!ok)
            break;
        all.push_back(req);
    }
    for (const auto& r : all)
        if (bool ok = co_await respond(ctx, s, r); !ok)
            break;
    co_return status();
}

asio::awaitable<status> echo(server_context& ctx)
{
    std::string msg;
    for (;;)
    {
        bool ok = co_await ctx.read(msg);
        if (!ok)
            break;
        if (bool written = co_await ctx.write(msg); !written)
            break;
    }
    co_return status();
}
} // namespace

grpc::raw_handler counted(liveness& live, grpc::raw_handler h)
{
    return [&live, h = std::move(h)](server_context& ctx) { return run_counted(live, h, ctx); };
}

void add_fuzz_service(grpc::server& srv, liveness& live)
{
    // Fuzzed requests make protobuf log every invalid UTF-8 string field: keep stderr for
    // findings.
    google::protobuf::SetLogHandler(nullptr);
    using grpc::rpc_kind;
    srv.add_method(path("EmptyCall"), rpc_kind::unary,
                   counted(live, grpc::unary_handler<pb::Empty, pb::Empty>(empty)));
    srv.add_method(
        path("UnaryCall"), rpc_kind::unary,
        counted(live, grpc::unary_handler<pb::SimpleRequest, pb::SimpleResponse>(unary)));
    srv.add_method(path("StreamingInputCall"), rpc_kind::client_streaming,
                   counted(live, grpc::client_streaming_handler<pb::StreamingInputCallRequest,
                                                                pb::StreamingInputCallResponse>(
                                     streaming_input)));
    srv.add_method(path("StreamingOutputCall"), rpc_kind::server_streaming,
                   counted(live, grpc::server_streaming_handler<pb::StreamingOutputCallRequest,
                                                                pb::StreamingOutputCallResponse>(
                                     streaming_output)));
    srv.add_method(
        path("FullDuplexCall"), rpc_kind::bidi_streaming,
        counted(live, grpc::bidi_streaming_handler<pb::StreamingOutputCallRequest,
                                                   pb::StreamingOutputCallResponse>(full_duplex)));
    srv.add_method(
        path("HalfDuplexCall"), rpc_kind::bidi_streaming,
        counted(live, grpc::bidi_streaming_handler<pb::StreamingOutputCallRequest,
                                                   pb::StreamingOutputCallResponse>(half_duplex)));
    srv.add_method("/fuzz.Echo/Echo", rpc_kind::bidi_streaming, counted(live, echo));
}
} // namespace rpcplugin::fuzz
