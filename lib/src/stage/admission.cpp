#include "rpcplugin/stage/admission.hpp"

#include <atomic>
#include <memory>
#include <string>

namespace rpcplugin::stage
{
namespace
{
struct admission_state
{
    admission_options opts;
    std::atomic<std::size_t> open{0};
};

asio::awaitable<void> admit(std::shared_ptr<admission_state> st, grpc::connection_context& c,
                            grpc::connection_next next)
{
    const auto& opts = st->opts;
    std::size_t now_open = st->open.fetch_add(1) + 1;
    struct release
    {
        admission_state& s;
        ~release() { s.open.fetch_sub(1); }
    } guard{*st};
    if (opts.max_connections != 0 && now_open > opts.max_connections)
    {
        opts.log.log(log_level::warn, "rpcplugin.stage", "connection refused: too many connections",
                     {{"peer", c.peer}, {"max_connections", std::to_string(opts.max_connections)}});
        co_return;
    }
    if (opts.handshake_timeout)
        c.handshake_deadline = std::chrono::steady_clock::now() + *opts.handshake_timeout;
    if (opts.idle_timeout)
        c.http2.idle_timeout = *opts.idle_timeout;
    co_await next(c);
}
} // namespace

grpc::connection_stage admission(admission_options opts)
{
    auto st = std::make_shared<admission_state>();
    st->opts = std::move(opts);
    return [st](grpc::connection_context& c, grpc::connection_next next) { return admit(st, c, next); };
}
} // namespace rpcplugin::stage
