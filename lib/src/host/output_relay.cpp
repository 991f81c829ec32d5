// plugin_client: the background readers of the plugin's stdout, stderr and exit, and the
// GRPCStdio stream.
#include "rpcplugin/host/line_buffer.hpp"
#include "rpcplugin/host/plugin_client.hpp"

#include "plugin/grpc_stdio.pb.h"

#include <array>

namespace rpcplugin::host
{
namespace
{
constexpr std::string_view log_module = "rpcplugin.host";
constexpr std::size_t tail_lines = 20;
} // namespace

void plugin_client::on_stdout_line(std::string line)
{
    if (!first_line_)
    {
        first_line_ = std::move(line);
        notify();
        return;
    }
    emit_output(output_source::stdout_pipe, line);
}

void plugin_client::on_stderr_line(const std::string& line)
{
    tail_.push_back(line);
    if (tail_.size() > tail_lines)
        tail_.pop_front();
    plugin_log_record r = log_parser_.parse(line);
    if (cfg_.on_log)
    {
        cfg_.on_log(r);
        return;
    }
    std::string module = cfg_.plugin_log_name;
    if (!r.module.empty())
        module += "." + r.module;
    cfg_.log.log(r.level, module, r.text());
}

void plugin_client::emit_output(output_source src, std::string_view data)
{
    if (cfg_.on_output)
    {
        cfg_.on_output(src, data);
        return;
    }
    cfg_.log.log(log_level::debug, cfg_.plugin_log_name, data, {{"stream", to_string(src)}});
}

namespace
{
// Reads `pipe` to its end and hands each line to `deliver`.
template <class Deliver>
asio::awaitable<void> read_lines(asio::readable_pipe& pipe, Deliver& deliver)
{
    line_buffer lines;
    std::array<char, 8192> buf;
    for (;;)
    {
        auto [ec, n] = co_await pipe.async_read_some(asio::buffer(buf), use_tuple);
        lines.append(std::string_view(buf.data(), n));
        while (auto line = lines.next_line())
            deliver(std::move(*line));
        if (ec)
            break;
    }
    if (auto rest = lines.finish())
        deliver(std::move(*rest));
}
} // namespace

asio::awaitable<void> plugin_client::read_stdout(std::weak_ptr<plugin_client> weak,
                                                 std::shared_ptr<child_process> child)
{
    auto deliver = [&weak](std::string line)
    {
        if (auto self = weak.lock())
            self->on_stdout_line(std::move(line));
    };
    co_await read_lines(child->stdout_pipe(), deliver);
    if (auto self = weak.lock())
    {
        self->stdout_eof_ = true;
        self->notify();
    }
}

asio::awaitable<void> plugin_client::read_stderr(std::weak_ptr<plugin_client> weak,
                                                 std::shared_ptr<child_process> child)
{
    auto deliver = [&weak](std::string line)
    {
        if (auto self = weak.lock())
            self->on_stderr_line(line);
    };
    co_await read_lines(child->stderr_pipe(), deliver);
    if (auto self = weak.lock())
    {
        self->stderr_eof_ = true;
        self->notify();
    }
}

asio::awaitable<void> plugin_client::watch_exit(std::weak_ptr<plugin_client> weak,
                                                std::shared_ptr<child_process> child)
{
    auto [ec, st] = co_await child->wait();
    if (ec)
        co_return;
    if (auto self = weak.lock())
    {
        self->exit_ = st;
        const std::string pid = std::to_string(child->pid());
        const std::string status = st.to_string();
        self->cfg_.log.log(st.success() ? log_level::debug : log_level::info, log_module,
                           "plugin process exited",
                           {{"path", self->cmd_.path}, {"pid", pid}, {"status", status}});
        self->notify();
    }
}

asio::awaitable<void> plugin_client::run_broker(std::shared_ptr<host::broker> b,
                                                std::shared_ptr<grpc::channel> ch)
{
    co_await b->run(ch);
}

asio::awaitable<void> plugin_client::read_stdio(std::weak_ptr<plugin_client> weak,
                                                std::shared_ptr<grpc::channel> ch)
{
    std::string path = "/plugin.GRPCStdio/StreamStdio";
    grpc::call_options opts;
    auto call = ch->start_call(path, opts);
    google::protobuf::Empty request;
    grpc::write_options wo;
    bool ok = co_await call->write(request, wo);
    call->writes_done();
    while (ok)
    {
        ::plugin::StdioData data;
        bool got = co_await call->read(data);
        if (!got)
            break;
        auto self = weak.lock();
        if (!self)
        {
            call->cancel();
            break;
        }
        if (data.data().empty())
            continue;
        switch (data.channel())
        {
        case ::plugin::StdioData::STDOUT:
            self->emit_output(output_source::grpc_stdout, data.data());
            break;
        case ::plugin::StdioData::STDERR:
            self->emit_output(output_source::grpc_stderr, data.data());
            break;
        default:
            self->cfg_.log.log(log_level::warn, log_module, "unknown stdio channel",
                               {{"channel", std::to_string(data.channel())}});
            break;
        }
    }
    grpc::status st = co_await call->finish();
    if (auto self = weak.lock())
    {
        self->stdio_result_ = st;
        if (st.code() == grpc::status_code::unimplemented)
            self->cfg_.log.log(log_level::debug, log_module, "stdio service not available");
        else if (!st.ok() && !self->shut_down_)
            self->cfg_.log.log(
                log_level::debug, log_module, "stdio stream ended",
                {{"status", std::string(grpc::to_string(st.code()))}, {"message", st.message()}});
    }
}
} // namespace rpcplugin::host
