#include "test_service.hpp"

#include "grpc/testing/empty.pb.h"
#include "grpc/testing/messages.pb.h"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace rpcplugin::interop
{
namespace
{
namespace pb = ::grpc::testing;
using grpc::server_context;
using grpc::status;
using grpc::status_code;

constexpr std::string_view service = "/grpc.testing.TestService/";

std::string path(std::string_view method)
{
    return std::string(service) + std::string(method);
}

// x-grpc-test-echo-initial goes back as initial metadata, x-grpc-test-echo-trailing-bin
// as trailing metadata.
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

status check_compressed(const server_context& ctx, const pb::BoolValue& expect)
{
    if (expect.value() && !ctx.last_message_compressed())
        return status(status_code::invalid_argument, "expected a compressed request message");
    return {};
}

void fill_payload(pb::Payload& p, int size)
{
    p.set_type(pb::COMPRESSABLE);
    p.mutable_body()->assign(static_cast<std::size_t>(size < 0 ? 0 : size), '\0');
}

asio::awaitable<void> pause(int interval_us)
{
    if (interval_us <= 0)
        co_return;
    asio::steady_timer t(co_await asio::this_coro::executor,
                         std::chrono::microseconds(interval_us));
    co_await t.async_wait(asio::use_awaitable);
}

// Streams the responses one StreamingOutputCallRequest asks for.
asio::awaitable<bool> respond(server_context& ctx, grpc::server_writer<pb::StreamingOutputCallResponse>& w,
                              const pb::StreamingOutputCallRequest& req)
{
    for (const auto& p : req.response_parameters())
    {
        co_await pause(p.interval_us());
        pb::StreamingOutputCallResponse resp;
        fill_payload(*resp.mutable_payload(), p.size());
        if (p.compressed().value())
            ctx.set_compression(grpc::encoding::gzip);
        if (bool ok = co_await w.write(resp, {.compress = p.compressed().value()}); !ok)
            co_return false;
    }
    co_return true;
}
} // namespace

void add_test_service(grpc::server& srv)
{
    srv.add_unary<pb::Empty, pb::Empty>(
        path("EmptyCall"), [](server_context& ctx, const pb::Empty&, pb::Empty&) -> asio::awaitable<status>
        {
            echo_metadata(ctx);
            co_return status();
        });

    auto unary = [](server_context& ctx, const pb::SimpleRequest& req,
                    pb::SimpleResponse& resp) -> asio::awaitable<status>
    {
        echo_metadata(ctx);
        if (auto s = check_compressed(ctx, req.expect_compressed()); !s.ok())
            co_return s;
        if (req.response_compressed().value())
            ctx.set_compression(grpc::encoding::gzip);
        if (req.has_response_status() && req.response_status().code() != 0)
            co_return echo_status(req.response_status());
        fill_payload(*resp.mutable_payload(), req.response_size());
        co_return status();
    };
    srv.add_unary<pb::SimpleRequest, pb::SimpleResponse>(path("UnaryCall"), unary);
    srv.add_unary<pb::SimpleRequest, pb::SimpleResponse>(path("CacheableUnaryCall"), unary);

    srv.add_client_streaming<pb::StreamingInputCallRequest, pb::StreamingInputCallResponse>(
        path("StreamingInputCall"),
        [](server_context& ctx, grpc::server_reader<pb::StreamingInputCallRequest>& reader,
           pb::StreamingInputCallResponse& resp) -> asio::awaitable<status>
        {
            echo_metadata(ctx);
            pb::StreamingInputCallRequest req;
            std::int64_t total = 0;
            while (co_await reader.read(req))
            {
                if (auto s = check_compressed(ctx, req.expect_compressed()); !s.ok())
                    co_return s;
                total += static_cast<std::int64_t>(req.payload().body().size());
            }
            resp.set_aggregated_payload_size(static_cast<std::int32_t>(total));
            co_return status();
        });

    srv.add_server_streaming<pb::StreamingOutputCallRequest, pb::StreamingOutputCallResponse>(
        path("StreamingOutputCall"),
        [](server_context& ctx, const pb::StreamingOutputCallRequest& req,
           grpc::server_writer<pb::StreamingOutputCallResponse>& w) -> asio::awaitable<status>
        {
            echo_metadata(ctx);
            if (bool ok = co_await respond(ctx, w, req); !ok)
                co_return status(status_code::cancelled, "call ended while streaming");
            if (req.has_response_status() && req.response_status().code() != 0)
                co_return echo_status(req.response_status());
            co_return status();
        });

    srv.add_bidi_streaming<pb::StreamingOutputCallRequest, pb::StreamingOutputCallResponse>(
        path("FullDuplexCall"),
        [](server_context& ctx,
           grpc::server_stream<pb::StreamingOutputCallRequest, pb::StreamingOutputCallResponse>& s)
            -> asio::awaitable<status>
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
        });

    srv.add_bidi_streaming<pb::StreamingOutputCallRequest, pb::StreamingOutputCallResponse>(
        path("HalfDuplexCall"),
        [](server_context& ctx,
           grpc::server_stream<pb::StreamingOutputCallRequest, pb::StreamingOutputCallResponse>& s)
            -> asio::awaitable<status>
        {
            echo_metadata(ctx);
            std::vector<pb::StreamingOutputCallRequest> all;
            pb::StreamingOutputCallRequest req;
            while (co_await s.read(req))
                all.push_back(req);
            for (const auto& r : all)
                if (bool ok = co_await respond(ctx, s, r); !ok)
                    break;
            co_return status();
        });
}
} // namespace rpcplugin::interop
