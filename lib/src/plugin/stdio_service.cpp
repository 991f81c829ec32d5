#include "rpcplugin/plugin/stdio_service.hpp"

#include "rpcplugin/detail/waiter.hpp"

#include "plugin/grpc_stdio.pb.h"

#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>

#include <memory>
#include <string>
#include <vector>

namespace rpcplugin::plugin
{
namespace
{
constexpr std::string_view log_module = "rpcplugin.stdio";

std::size_t index(stdio_channel c) noexcept
{
    return c == stdio_channel::stderr_channel ? 1 : 0;
}
} // namespace

stdio_service::stdio_service(std::size_t limit, const logger& log)
    : log_(log)
    , buffer_(limit)
{
}

stdio_service::~stdio_service() = default;

void stdio_service::append(stdio_channel channel, std::string_view bytes)
{
    if (bytes.empty())
        return;
    std::vector<std::function<void()>> wake;
    bool started_dropping = false;
    std::size_t limit = 0;
    {
        std::lock_guard lock(mutex_);
        const bool was_empty = buffer_.empty();
        if (std::size_t dropped = buffer_.append(channel, bytes); dropped > 0)
        {
            started_dropping = unreported_[index(channel)] == 0;
            unreported_[index(channel)] += dropped;
            limit = buffer_.limit();
        }
        // Streams drain the buffer before they wait, so only the empty -> non-empty
        // transition needs to wake them.
        if (was_empty)
            for (auto& [id, w] : wakers_)
                wake.push_back(w);
    }
    for (auto& w : wake)
        w();
    if (started_dropping)
        log_.log(log_level::warn, log_module,
                 "stdio buffer full: dropping the oldest output until a host reads it",
                 {{"channel", to_string(channel)}, {"limit", std::to_string(limit)}});
}

void stdio_service::close()
{
    std::vector<std::function<void()>> wake;
    {
        std::lock_guard lock(mutex_);
        if (closed_)
            return;
        closed_ = true;
        for (auto& [id, w] : wakers_)
            wake.push_back(w);
    }
    for (auto& w : wake)
        w();
}

std::size_t stdio_service::pending() const
{
    std::lock_guard lock(mutex_);
    return buffer_.size(stdio_channel::stdout_channel) +
           buffer_.size(stdio_channel::stderr_channel);
}

std::optional<stdio_chunk> stdio_service::try_pop()
{
    std::lock_guard lock(mutex_);
    return buffer_.pop();
}

void stdio_service::report_drops()
{
    std::uint64_t counts[2];
    {
        std::lock_guard lock(mutex_);
        counts[0] = unreported_[0];
        counts[1] = unreported_[1];
        unreported_[0] = unreported_[1] = 0;
    }
    for (std::size_t i = 0; i < 2; ++i)
    {
        if (counts[i] == 0)
            continue;
        const auto channel = i == 0 ? stdio_channel::stdout_channel : stdio_channel::stderr_channel;
        log_.log(log_level::warn, log_module, "captured output dropped before a host read it",
                 {{"channel", to_string(channel)}, {"bytes", std::to_string(counts[i])}});
    }
}

void stdio_service::report_undelivered()
{
    report_drops();
    std::size_t held[2];
    {
        std::lock_guard lock(mutex_);
        held[0] = buffer_.size(stdio_channel::stdout_channel);
        held[1] = buffer_.size(stdio_channel::stderr_channel);
        while (buffer_.pop())
        {
        }
    }
    for (std::size_t i = 0; i < 2; ++i)
    {
        if (held[i] == 0)
            continue;
        const auto channel = i == 0 ? stdio_channel::stdout_channel : stdio_channel::stderr_channel;
        log_.log(log_level::warn, log_module, "captured output not delivered: no host stream",
                 {{"channel", to_string(channel)}, {"bytes", std::to_string(held[i])}});
    }
}

asio::awaitable<grpc::status> stdio_service::stream(grpc::server_context& ctx)
{
    auto ex = co_await asio::this_coro::executor;
    auto wake = std::make_shared<rpcplugin::detail::waiter>(ex);
    std::uint64_t id = 0;
    {
        std::lock_guard lock(mutex_);
        id = next_waker_++;
        wakers_[id] = [ex, weak = std::weak_ptr(wake)]
        {
            asio::post(ex,
                       [weak]
                       {
                           if (auto w = weak.lock())
                               w->notify();
                       });
        };
    }
    ::plugin::StdioData msg;
    for (;;)
    {
        std::optional<stdio_chunk> chunk;
        bool closed = false;
        bool drops = false;
        {
            std::lock_guard lock(mutex_);
            chunk = buffer_.pop();
            closed = closed_;
            drops = unreported_[0] != 0 || unreported_[1] != 0;
        }
        if (chunk)
        {
            if (drops)
                report_drops();
            msg.set_channel(chunk->channel == stdio_channel::stderr_channel
                                ? ::plugin::StdioData::STDERR
                                : ::plugin::StdioData::STDOUT);
            msg.set_data(std::move(chunk->data));
            bool ok = co_await ctx.write(msg);
            if (!ok)
                break;
            continue;
        }
        if (closed || ctx.finished())
            break;
        auto [ec] = co_await wake->async_wait(use_tuple);
        if (ec || ctx.cancelled())
            break;
    }
    {
        std::lock_guard lock(mutex_);
        wakers_.erase(id);
    }
    co_return grpc::status();
}

void stdio_service::add_to(grpc::server& srv)
{
    srv.add_server_streaming<google::protobuf::Empty, ::plugin::StdioData>(
        "/plugin.GRPCStdio/StreamStdio",
        [this](grpc::server_context& ctx, const google::protobuf::Empty&,
               grpc::server_writer<::plugin::StdioData>&) { return stream(ctx); });
}
} // namespace rpcplugin::plugin
