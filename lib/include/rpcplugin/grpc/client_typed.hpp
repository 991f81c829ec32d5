#pragma once

/**
 * @file
 * Protobuf-typed views of client calls, used by generated stubs.
 */

#include "rpcplugin/asio.hpp"
#include "rpcplugin/grpc/client_call.hpp"
#include "rpcplugin/grpc/status.hpp"

#include <memory>
#include <utility>

namespace rpcplugin::grpc
{
/** A server-streaming call: read responses, then `finish`. */
template <class Response>
class client_reader
{
public:
    /** Wraps a started call (the generated stubs make these). */
    explicit client_reader(std::shared_ptr<client_call> call) noexcept
        : call_(std::move(call))
    {
    }
    /** Reads the next response; false at the end (then call `finish`). */
    asio::awaitable<bool> read(Response& msg) { return call_->read(msg); }
    /** The call's status. */
    asio::awaitable<status> finish() { return call_->finish(); }
    /** The underlying call (metadata, cancel). */
    client_call& call() const noexcept { return *call_; }

private:
    std::shared_ptr<client_call> call_;
};

/** A client-streaming call: write requests, then `finish` with the single response. */
template <class Request, class Response>
class client_writer
{
public:
    /** Wraps a started call (the generated stubs make these). */
    explicit client_writer(std::shared_ptr<client_call> call) noexcept
        : call_(std::move(call))
    {
    }
    /** Writes a request; false when the call has ended. */
    asio::awaitable<bool> write(const Request& msg, write_options opts = {})
    {
        return call_->write(msg, opts);
    }
    /** Half-closes, reads the response into `resp`, returns the status. */
    asio::awaitable<status> finish(Response& resp)
    {
        call_->writes_done();
        bool got = co_await call_->read(resp);
        status s = co_await call_->finish();
        if (s.ok() && !got)
            co_return status(status_code::internal,
                             "grpc: no response message for a unary response");
        co_return s;
    }
    /** The underlying call (metadata, cancel). */
    client_call& call() const noexcept { return *call_; }

private:
    std::shared_ptr<client_call> call_;
};

/** A bidi call: write and read in any order, `writes_done`, then `finish`. */
template <class Request, class Response>
class client_stream
{
public:
    /** Wraps a started call (the generated stubs make these). */
    explicit client_stream(std::shared_ptr<client_call> call) noexcept
        : call_(std::move(call))
    {
    }
    /** Writes a request; false when the call has ended or after `writes_done`. */
    asio::awaitable<bool> write(const Request& msg, write_options opts = {})
    {
        return call_->write(msg, opts);
    }
    /** Half-closes the request stream (END_STREAM). Idempotent. */
    void writes_done() { call_->writes_done(); }
    /** Reads the next response; false at the end or when the call failed (see `finish`). */
    asio::awaitable<bool> read(Response& msg) { return call_->read(msg); }
    /** Waits for the end of the call and returns its status. */
    asio::awaitable<status> finish() { return call_->finish(); }
    /** The underlying call (metadata, cancel). */
    client_call& call() const noexcept { return *call_; }

private:
    std::shared_ptr<client_call> call_;
};
} // namespace rpcplugin::grpc
