#include "test_service.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>

#include <chrono>
#include <cstdint>
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

// x-grpc-test-echo-initial goes back as initial metadata, x-grpc-test-echo-trailing-bin
// as trailing metadata.
void echo_metadata(server_context& ctx)
{
    if (auto* v = grpc::find(ctx.client_metadata(), "x-grpc-test-echo-initial"))
        ctx.add_initial_metadata("x-grpc-test-echo-initial", *v);
    if (auto* v = grpc::find(ctx.client_metadata(), "x-grpc-test-echo-trailing-bin"))
        ctx.add_trailing_metadata("x-grpc-test-echo-trailing-bin", *v);
}

// The status a request asks for (EchoStatus), if any.
bool wants_status(const auto& req)
{
    return req.has_response_status() && req.response_status().code() != 0;
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
asio::awaitable<bool> respond(server_context& ctx,
                              grpc::server_writer<pb::StreamingOutputCallResponse>& w,
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

asio::awaitable<status> test_service::EmptyCall(server_context& ctx, const Empty&, Empty&)
{
    echo_metadata(ctx);
    co_return status();
}

asio::awaitable<status> test_service::UnaryCall(server_context& ctx, const SimpleRequest& req,
                                                SimpleResponse& resp)
{
    echo_metadata(ctx);
    if (auto s = check_compressed(ctx, req.expect_compressed()); !s.ok())
        co_return s;
    if (req.response_compressed().value())
        ctx.set_compression(grpc::encoding::gzip);
    if (wants_status(req))
        co_return echo_status(req.response_status());
    fill_payload(*resp.mutable_payload(), req.response_size());
    co_return status();
}

asio::awaitable<status> test_service::CacheableUnaryCall(server_context& ctx,
                                                         const SimpleRequest& req,
                                                         SimpleResponse& resp)
{
    return UnaryCall(ctx, req, resp);
}

asio::awaitable<status>
test_service::StreamingOutputCall(server_context& ctx, const StreamingOutputCallRequest& req,
                                  grpc::server_writer<StreamingOutputCallResponse>& writer)
{
    echo_metadata(ctx);
    if (bool ok = co_await respond(ctx, writer, req); !ok)
        co_return status(status_code::cancelled, "call ended while streaming");
    if (wants_status(req))
        co_return echo_status(req.response_status());
    co_return status();
}

asio::awaitable<status>
test_service::StreamingInputCall(server_context& ctx,
                                 grpc::server_reader<StreamingInputCallRequest>& reader,
                                 StreamingInputCallResponse& resp)
{
    echo_metadata(ctx);
    StreamingInputCallRequest req;
    std::int64_t total = 0;
    while (co_await reader.read(req))
    {
        if (auto s = check_compressed(ctx, req.expect_compressed()); !s.ok())
            co_return s;
        total += static_cast<std::int64_t>(req.payload().body().size());
    }
    resp.set_aggregated_payload_size(static_cast<std::int32_t>(total));
    co_return status();
}

asio::awaitable<status> test_service::FullDuplexCall(server_context& ctx, output_stream& stream)
{
    echo_metadata(ctx);
    StreamingOutputCallRequest req;
    while (co_await stream.read(req))
    {
        if (wants_status(req))
            co_return echo_status(req.response_status());
        if (bool ok = co_await respond(ctx, stream, req); !ok)
            break;
    }
    co_return status();
}

asio::awaitable<status> test_service::HalfDuplexCall(server_context& ctx, output_stream& stream)
{
    echo_metadata(ctx);
    std::vector<StreamingOutputCallRequest> all;
    StreamingOutputCallRequest req;
    while (co_await stream.read(req))
        all.push_back(req);
    for (const auto& r : all)
        if (bool ok = co_await respond(ctx, stream, r); !ok)
            break;
    co_return status();
}

asio::awaitable<status> test_service::UnimplementedCall(server_context&, const Empty&, Empty&)
{
    co_return status(status_code::unimplemented,
                     "grpc.testing.TestService/UnimplementedCall is not implemented");
}
} // namespace rpcplugin::interop
