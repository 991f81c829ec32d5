// README example: a custom call stage that answers UNAUTHENTICATED unless the call
// carries "authorization: Bearer <token>". Tested by bearer_token_test.cpp.
#pragma once

#include <rpcplugin/grpc/call_stage.hpp>
#include <rpcplugin/grpc/server_context.hpp>

#include <memory>
#include <string>

namespace example
{
namespace grpc = rpcplugin::grpc;

inline boost::asio::awaitable<grpc::status> check_bearer(std::shared_ptr<const std::string> token,
                                                         grpc::server_context& ctx,
                                                         grpc::call_next next)
{
    const std::string* auth = grpc::find(ctx.client_metadata(), "authorization");
    if (!auth || *auth != "Bearer " + *token)
        co_return grpc::status(grpc::status_code::unauthenticated, "missing or wrong bearer token");
    co_return co_await next(ctx); // the later stages, then the handler
}

inline grpc::call_stage bearer_token(std::string token)
{
    auto t = std::make_shared<const std::string>(std::move(token));
    return [t](grpc::server_context& ctx, grpc::call_next next)
    { return check_bearer(t, ctx, next); };
}
} // namespace example
