#pragma once

/**
 * @file
 * Per-call stages: coroutines that run, in order, between the router and the handler.
 */

#include "rpcplugin/asio.hpp"
#include "rpcplugin/grpc/method.hpp"
#include "rpcplugin/grpc/status.hpp"

#include <functional>
#include <span>

namespace rpcplugin::grpc
{
class server_context;
class call_next;

/**
 * A per-call stage. It sees the call once its request headers arrived and the method was
 * found, before the handler runs and before any request message is read. It either ends
 * the call itself by returning a status without calling `next` (the handler never runs), or
 * returns what `co_await next(ctx)` returns (the rest of the pipeline, then the handler),
 * possibly doing work before and after.
 *
 * ```
 * asio::awaitable<status> log_calls(server_context& ctx, call_next next)
 * {
 *     status s = co_await next(ctx);
 *     std::clog << ctx.method() << " " << to_string(s.code()) << "\n";
 *     co_return s;
 * }
 * server.add_call_stage(log_calls);
 * ```
 *
 * A stage runs on the connection's strand, like the handler. A stage that throws ends the
 * call with UNKNOWN, as a handler that throws does. Stages are shared by all connections:
 * state they keep must be safe for concurrent use when the io_context runs on several
 * threads.
 */
using call_stage = std::function<asio::awaitable<status>(server_context&, call_next)>;

/**
 * The rest of the pipeline after a stage: the later stages, then the handler. Cheap to
 * copy; valid while the server that made it is alive.
 */
class call_next
{
public:
    /** Internal: made by the server for each call. */
    call_next(std::span<const call_stage> stages, const raw_handler& handler) noexcept
        : stages_(stages)
        , handler_(&handler)
    {
    }

    /** Runs the next stage (or the handler) on `ctx`; completes with the call's status. */
    asio::awaitable<status> operator()(server_context& ctx) const
    {
        if (stages_.empty())
            return (*handler_)(ctx);
        return stages_.front()(ctx, call_next(stages_.subspan(1), *handler_));
    }

private:
    std::span<const call_stage> stages_;
    const raw_handler* handler_;
};
} // namespace rpcplugin::grpc
