#pragma once

/**
 * @file
 * grpc.testing.TestService on the service base generated from grpc/testing/test.proto:
 * the interop service of gRPC's interop test descriptions (empty, unary, the three
 * streaming kinds, status and metadata echo, compression flags, response delays).
 */

#include "grpc/testing/test.rpcplugin.pb.h"

namespace rpcplugin::interop
{
/**
 * The interop TestService. Register it with `::grpc::testing::TestService::register_service`;
 * it must outlive the server. Every method echoes `x-grpc-test-echo-initial` as initial and
 * `x-grpc-test-echo-trailing-bin` as trailing metadata; UnimplementedCall answers
 * UNIMPLEMENTED. Stateless: calls on any connection may share one instance.
 */
class test_service final : public ::grpc::testing::TestService::Service
{
    using status_task = asio::awaitable<grpc::status>;
    using Empty = ::grpc::testing::Empty;
    using SimpleRequest = ::grpc::testing::SimpleRequest;
    using SimpleResponse = ::grpc::testing::SimpleResponse;
    using StreamingInputCallRequest = ::grpc::testing::StreamingInputCallRequest;
    using StreamingInputCallResponse = ::grpc::testing::StreamingInputCallResponse;
    using StreamingOutputCallRequest = ::grpc::testing::StreamingOutputCallRequest;
    using StreamingOutputCallResponse = ::grpc::testing::StreamingOutputCallResponse;
    using output_stream =
        grpc::server_stream<StreamingOutputCallRequest, StreamingOutputCallResponse>;

public:
    status_task EmptyCall(grpc::server_context& ctx, const Empty& req, Empty& resp) override;
    status_task UnaryCall(grpc::server_context& ctx, const SimpleRequest& req,
                          SimpleResponse& resp) override;
    status_task CacheableUnaryCall(grpc::server_context& ctx, const SimpleRequest& req,
                                   SimpleResponse& resp) override;
    status_task
    StreamingOutputCall(grpc::server_context& ctx, const StreamingOutputCallRequest& req,
                        grpc::server_writer<StreamingOutputCallResponse>& writer) override;
    status_task StreamingInputCall(grpc::server_context& ctx,
                                   grpc::server_reader<StreamingInputCallRequest>& reader,
                                   StreamingInputCallResponse& resp) override;
    status_task FullDuplexCall(grpc::server_context& ctx, output_stream& stream) override;
    status_task HalfDuplexCall(grpc::server_context& ctx, output_stream& stream) override;
    status_task UnimplementedCall(grpc::server_context& ctx, const Empty& req,
                                  Empty& resp) override;
};
} // namespace rpcplugin::interop
