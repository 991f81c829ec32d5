#include "rpcplugin/plugin/stdio_capture.hpp"

#include "detail/log_exceptions.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/post.hpp>

#include <array>
#include <cerrno>
#include <cstdio>
#include <fcntl.h>
#include <future>
#include <iostream>
#include <optional>
#include <system_error>
#include <unistd.h>

namespace rpcplugin::plugin
{
namespace
{
using boost::system::error_code;

constexpr stdio_channel channels[2] = {stdio_channel::stdout_channel,
                                       stdio_channel::stderr_channel};

// Bytes one wake-up of the reader moves before it lets the other pipe have a turn.
constexpr std::size_t slice = 256 * 1024;
// Bytes the final read at stop() moves at most: bounded, so a child that keeps writing
// cannot hold the shutdown.
constexpr std::size_t final_slice = 8 * 1024 * 1024;

error_code last_error()
{
    return error_code(errno, boost::system::system_category());
}

void close_fd(int& fd) noexcept
{
    if (fd >= 0)
        ::close(fd);
    fd = -1;
}

// Reads what `fd` (non-blocking) holds into `sink`, up to `max` bytes. True at end of
// file or on a read error: the pipe is finished.
bool drain(int fd, stdio_channel channel, stdio_service& sink, std::size_t max)
{
    std::array<char, 64 * 1024> buf;
    std::size_t moved = 0;
    while (moved < max)
    {
        const ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n > 0)
        {
            sink.append(channel, std::string_view(buf.data(), static_cast<std::size_t>(n)));
            moved += static_cast<std::size_t>(n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return !(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
    }
    return false;
}

void flush_standard_streams() noexcept
{
    try
    {
        std::cout.flush();
        std::cerr.flush();
    }
    catch (...)
    {
    }
    std::fflush(stdout);
    std::fflush(stderr);
}
} // namespace

struct stdio_capture::reader
{
    asio::io_context io{1};
    // Keeps the thread running until stop(), also after both pipes reached end of file,
    // so that sync() always finds it.
    asio::executor_work_guard<asio::io_context::executor_type> work{io.get_executor()};
    std::optional<asio::posix::stream_descriptor> pipes[2];
};

namespace
{
// The Asio driver of one pipe: wait until readable, then read synchronously (all reads
// happen on the reader thread, in order, so `sync` can post reads of its own between
// them). Cancellation (from stop) reads what is left, then ends.
asio::awaitable<void> pump(asio::posix::stream_descriptor& pipe, stdio_channel channel,
                           stdio_service& sink)
{
    for (;;)
    {
        auto [ec] = co_await pipe.async_wait(asio::posix::descriptor_base::wait_read, use_tuple);
        const bool finished = drain(pipe.native_handle(), channel, sink, ec ? final_slice : slice);
        if (ec || finished)
            co_return;
    }
}
} // namespace

stdio_capture::stdio_capture(stdio_service& sink)
    : sink_(sink)
{
}

stdio_capture::~stdio_capture()
{
    stop();
}

boost::system::result<void> stdio_capture::prepare()
{
    if (active_ || pipe_read_[0] >= 0)
        return {};
    for (int i = 0; i < 2; ++i)
    {
        int p[2];
        if (::pipe2(p, O_CLOEXEC) != 0)
        {
            auto ec = last_error();
            stop();
            return ec;
        }
        pipe_read_[i] = p[0];
        pipe_write_[i] = p[1];
        if (::fcntl(pipe_read_[i], F_SETFL, O_NONBLOCK) != 0)
        {
            auto ec = last_error();
            stop();
            return ec;
        }
        // A closed descriptor 1 or 2 is restored as closed (saved_ stays -1).
        saved_[i] = ::fcntl(i + 1, F_DUPFD_CLOEXEC, 3);
        if (saved_[i] < 0 && errno != EBADF)
        {
            auto ec = last_error();
            stop();
            return ec;
        }
    }
    return {};
}

boost::system::result<void> stdio_capture::activate()
{
    if (active_)
        return {};
    if (pipe_read_[0] < 0)
        return error_code(EBADF, boost::system::system_category());
    auto r = std::make_unique<reader>();
    try
    {
        for (int i = 0; i < 2; ++i)
        {
            r->pipes[i].emplace(r->io, pipe_read_[i]);
            pipe_read_[i] = -1; // owned by the descriptor now
        }
    }
    catch (const boost::system::system_error& e)
    {
        stop();
        return e.code();
    }
    // dup2 clears close-on-exec on 1 and 2: child processes inherit the pipes.
    for (int i = 0; i < 2; ++i)
    {
        if (::dup2(pipe_write_[i], i + 1) < 0)
        {
            auto ec = last_error();
            reader_ = std::move(r);
            active_ = true; // let stop() restore what was swapped
            stop();
            return ec;
        }
        close_fd(pipe_write_[i]);
    }
    for (int i = 0; i < 2; ++i)
        asio::co_spawn(r->io, pump(*r->pipes[i], channels[i], sink_),
                       rpcplugin::detail::log_exceptions(sink_.log(), "rpcplugin.stdio",
                                                         "the stdio capture pump"));
    reader_ = std::move(r);
    active_ = true;
    try
    {
        thread_ = std::thread([io = &reader_->io] { io->run(); });
    }
    catch (const std::system_error& e)
    {
        stop();
        return error_code(e.code().value(), boost::system::system_category());
    }
    return {};
}

void stdio_capture::sync()
{
    if (!active_)
        return;
    flush_standard_streams();
    std::promise<void> done;
    auto future = done.get_future();
    asio::post(reader_->io,
               [this, &done]
               {
                   for (int i = 0; i < 2; ++i)
                       if (reader_->pipes[i] && reader_->pipes[i]->is_open())
                           drain(reader_->pipes[i]->native_handle(), channels[i], sink_,
                                 final_slice);
                   done.set_value();
               });
    // The reader thread runs until stop(), so the posted read always runs.
    future.wait();
}

void stdio_capture::stop() noexcept
{
    if (active_)
    {
        flush_standard_streams();
        // Descriptors 1 and 2 back to the originals: the write ends this process held
        // are closed, and new output goes where it went before the capture.
        for (int i = 0; i < 2; ++i)
        {
            if (saved_[i] >= 0)
                ::dup2(saved_[i], i + 1);
            else
                ::close(i + 1);
        }
        if (reader_)
        {
            asio::post(reader_->io,
                       [r = reader_.get()]
                       {
                           r->work.reset();
                           for (auto& p : r->pipes)
                           {
                               error_code ignored;
                               if (p)
                                   p->cancel(ignored);
                           }
                       });
            if (thread_.joinable())
                thread_.join();
        }
        active_ = false;
    }
    reader_.reset(); // closes the read ends
    for (int i = 0; i < 2; ++i)
    {
        close_fd(saved_[i]);
        close_fd(pipe_read_[i]);
        close_fd(pipe_write_[i]);
    }
}
} // namespace rpcplugin::plugin
