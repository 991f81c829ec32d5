#include "rpcplugin/plugin/stdio_buffer.hpp"

#include <algorithm>
#include <ostream>

namespace rpcplugin::plugin
{
std::string_view to_string(stdio_channel channel) noexcept
{
    return channel == stdio_channel::stderr_channel ? "stderr" : "stdout";
}

std::ostream& operator<<(std::ostream& os, stdio_channel channel)
{
    return os << to_string(channel);
}

std::ostream& operator<<(std::ostream& os, const stdio_chunk& chunk)
{
    return os << chunk.channel << ":\"" << chunk.data << '"';
}

stdio_buffer::stdio_buffer(std::size_t limit)
    : limit_(std::max<std::size_t>(limit, 1))
{
}

std::size_t stdio_buffer::append(stdio_channel channel, std::string_view bytes)
{
    channel_queue& q = queue(channel);
    std::size_t dropped = 0;
    if (bytes.size() >= limit_)
    {
        // Everything held and the head of `bytes` go; only the last `limit_` bytes stay.
        dropped = q.bytes + (bytes.size() - limit_);
        q.chunks.clear();
        q.bytes = 0;
        bytes.remove_prefix(bytes.size() - limit_);
    }
    while (!bytes.empty())
    {
        // Fill the newest chunk when it is this channel's and nothing arrived after it.
        if (q.chunks.empty() || q.chunks.back().seq + 1 != next_seq_ ||
            q.chunks.back().data.size() >= max_chunk)
            q.chunks.push_back(entry{next_seq_++, {}});
        std::string& data = q.chunks.back().data;
        const std::size_t n = std::min(bytes.size(), max_chunk - data.size());
        data.append(bytes.substr(0, n));
        q.bytes += n;
        bytes.remove_prefix(n);
    }
    dropped += trim(q);
    q.dropped += dropped;
    return dropped;
}

std::size_t stdio_buffer::trim(channel_queue& q)
{
    std::size_t dropped = 0;
    while (q.bytes > limit_)
    {
        entry& front = q.chunks.front();
        const std::size_t excess = q.bytes - limit_;
        if (front.data.size() <= excess)
        {
            dropped += front.data.size();
            q.bytes -= front.data.size();
            q.chunks.pop_front();
        }
        else
        {
            front.data.erase(0, excess);
            dropped += excess;
            q.bytes -= excess;
        }
    }
    return dropped;
}

std::optional<stdio_chunk> stdio_buffer::pop()
{
    channel_queue* q = nullptr;
    stdio_channel channel = stdio_channel::stdout_channel;
    if (!out_.chunks.empty() &&
        (err_.chunks.empty() || out_.chunks.front().seq < err_.chunks.front().seq))
        q = &out_;
    else if (!err_.chunks.empty())
    {
        q = &err_;
        channel = stdio_channel::stderr_channel;
    }
    if (!q)
        return std::nullopt;
    stdio_chunk chunk{channel, std::move(q->chunks.front().data)};
    q->chunks.pop_front();
    q->bytes -= chunk.data.size();
    return chunk;
}
} // namespace rpcplugin::plugin
