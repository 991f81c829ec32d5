#pragma once

/**
 * @file
 * Protobuf-typed views of a call and the adapters that turn typed handlers into raw ones.
 */

#include "rpcplugin/asio.hpp"
#include "rpcplugin/grpc/method.hpp"
#include "rpcplugin/grpc/server_context.hpp"
#include "rpcplugin/grpc/status.hpp"

#include <string>
#include <utility>

namespace rpcplugin::grpc
{
/** The status a call ends with when a request message does not parse. */
inline status parse_failure_status()
{
    return status(status_code::internal, "grpc: failed to parse request message");
}

/**
 * Reads typed request messages of a client-streaming or bidi call.
 *
 * @par Thread Safety
 * As `server_context`.
 */
template <class Request>
class server_reader
{
public:
    /** Wraps the call's context (the server makes these for typed handlers). */
    explicit server_reader(server_context& ctx) noexcept
        : ctx_(ctx)
    {
    }

    /**
     * Reads the next message into `msg`. Completes with false at the end of the request
     * stream or when the call ended (a message that does not parse ends it with INTERNAL).
     * Cancellation: as `server_context::read`.
     */
    asio::awaitable<bool> read(Request& msg)
    {
        if (bool ok = co_await ctx_.read(buf_); !ok)
            co_return false;
        if (!msg.ParseFromString(buf_))
        {
            ctx_.finish(parse_failure_status());
            co_return false;
        }
        co_return true;
    }

    /** The call. */
    server_context& context() const noexcept { return ctx_; }

private:
    server_context& ctx_;
    std::string buf_;
};

/**
 * Writes typed response messages of a server-streaming or bidi call.
 *
 * @par Thread Safety
 * As `server_context`.
 */
template <class Response>
class server_writer
{
public:
    /** Wraps the call's context (the server makes these for typed handlers). */
    explicit server_writer(server_context& ctx) noexcept
        : ctx_(ctx)
    {
    }

    /** Writes a message; see `server_context::write`. */
    asio::awaitable<bool> write(const Response& msg, write_options opts = {})
    {
        return ctx_.write(msg, opts);
    }

    /** The call. */
    server_context& context() const noexcept { return ctx_; }

private:
    server_context& ctx_;
};

/** Both directions of a bidi call. */
template <class Request, class Response>
class server_stream : public server_reader<Request>, public server_writer<Response>
{
public:
    /** Wraps the call's context (the server makes these for typed handlers). */
    explicit server_stream(server_context& ctx) noexcept
        : server_reader<Request>(ctx)
        , server_writer<Response>(ctx)
    {
    }

    using server_reader<Request>::context;
};

namespace detail
{
// Reads the single request of a unary or server-streaming call, including the client's
// half-close. A missing or extra message ends the call with a status.
template <class Request>
asio::awaitable<bool> read_single(server_context& ctx, Request& req)
{
    std::string buf;
    if (bool ok = co_await ctx.read(buf); !ok)
    {
        if (!ctx.finished())
            ctx.finish(status(status_code::internal, "grpc: missing request message"));
        co_return false;
    }
    if (!req.ParseFromString(buf))
    {
        ctx.finish(parse_failure_status());
        co_return false;
    }
    if (bool more = co_await ctx.read(buf); more)
    {
        ctx.finish(status(status_code::internal, "grpc: too many request messages"));
        co_return false;
    }
    co_return !ctx.finished();
}
} // namespace detail

/**
 * Adapts `F: awaitable<status>(server_context&, const Request&, Response&)`.
 * The response is sent when the status is OK.
 */
template <class Request, class Response, class F>
raw_handler unary_handler(F f)
{
    return [f = std::move(f)](server_context& ctx) -> asio::awaitable<status>
    {
        Request req;
        if (bool ok = co_await detail::read_single(ctx, req); !ok)
            co_return status();
        Response resp;
        status s = co_await f(ctx, std::as_const(req), resp);
        if (s.ok())
            co_await ctx.write(resp);
        co_return s;
    };
}

/** Adapts `F: awaitable<status>(server_context&, server_reader<Request>&, Response&)`. */
template <class Request, class Response, class F>
raw_handler client_streaming_handler(F f)
{
    return [f = std::move(f)](server_context& ctx) -> asio::awaitable<status>
    {
        server_reader<Request> reader(ctx);
        Response resp;
        status s = co_await f(ctx, reader, resp);
        if (s.ok())
            co_await ctx.write(resp);
        co_return s;
    };
}

/** Adapts `F: awaitable<status>(server_context&, const Request&, server_writer<Response>&)`. */
template <class Request, class Response, class F>
raw_handler server_streaming_handler(F f)
{
    return [f = std::move(f)](server_context& ctx) -> asio::awaitable<status>
    {
        Request req;
        if (bool ok = co_await detail::read_single(ctx, req); !ok)
            co_return status();
        server_writer<Response> writer(ctx);
        co_return co_await f(ctx, std::as_const(req), writer);
    };
}

/** Adapts `F: awaitable<status>(server_context&, server_stream<Request, Response>&)`. */
template <class Request, class Response, class F>
raw_handler bidi_streaming_handler(F f)
{
    return [f = std::move(f)](server_context& ctx) -> asio::awaitable<status>
    {
        server_stream<Request, Response> stream(ctx);
        co_return co_await f(ctx, stream);
    };
}
} // namespace rpcplugin::grpc
