#include "rpcplugin/grpc/server.hpp"

#include "grpc/detail/connection.hpp"
#include "rpcplugin/detail/strand.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>

#include <algorithm>

namespace rpcplugin::grpc
{
std::string_view to_string(rpc_kind kind) noexcept
{
    switch (kind)
    {
    case rpc_kind::unary: return "unary";
    case rpc_kind::client_streaming: return "client_streaming";
    case rpc_kind::server_streaming: return "server_streaming";
    case rpc_kind::bidi_streaming: return "bidi_streaming";
    }
    return "unknown";
}

std::optional<method_path> split_method_path(std::string_view path) noexcept
{
    if (path.starts_with('/'))
        path.remove_prefix(1);
    const auto slash = path.find('/');
    if (slash == std::string_view::npos)
        return std::nullopt;
    return method_path{path.substr(0, slash), path.substr(slash + 1)};
}

server::server(server_options opts)
    : opts_(std::move(opts))
    , serve_last_step_([this](connection_context& c) { return detail::run_connection(*this, c); })
{
}

server::~server() = default;

void server::add_method(std::string path, rpc_kind kind, raw_handler handler)
{
    if (auto split = split_method_path(path))
        services_.emplace(split->service);
    methods_.insert_or_assign(std::move(path), method_entry{kind, std::move(handler)});
}

const method_entry* server::find(std::string_view path) const noexcept
{
    auto it = methods_.find(path);
    return it == methods_.end() ? nullptr : &it->second;
}

bool server::has_service(std::string_view service) const noexcept
{
    return services_.find(service) != services_.end();
}

asio::awaitable<void> server::serve(transport::listener& l, std::shared_ptr<asio::ssl::context> tls)
{
    auto ex = co_await asio::this_coro::executor;
    {
        std::lock_guard lock(mutex_);
        if (draining_)
            co_return;
        listeners_.push_back(&l);
    }
    struct deregister
    {
        server& s;
        transport::listener& l;
        ~deregister()
        {
            std::lock_guard lock(s.mutex_);
            std::erase(s.listeners_, &l);
        }
    } guard{*this, l};
    while (l.is_open() && !draining_)
    {
        auto strand = rpcplugin::detail::make_strand(ex);
        auto [ec, sock] = co_await l.accept(strand);
        if (ec)
        {
            if (ec == asio::error::operation_aborted || !l.is_open())
                break;
            // Resource exhaustion (EMFILE...) must not spin: log and go on.
            opts_.log.log(log_level::warn, "rpcplugin.grpc", "accept failed",
                          {{"error", ec.message()}});
            continue;
        }
        asio::co_spawn(strand, serve_connection(std::move(sock), tls),
                       [this](std::exception_ptr e)
                       {
                           if (!e)
                               return;
                           try
                           {
                               std::rethrow_exception(e);
                           }
                           catch (const std::exception& x)
                           {
                               opts_.log.log(log_level::error, "rpcplugin.grpc",
                                             "connection ended with an exception",
                                             {{"error", x.what()}});
                           }
                       });
    }
}

std::size_t server::connection_count() const
{
    std::lock_guard lock(mutex_);
    return connections_.size();
}

void server::register_connection(std::shared_ptr<connection_entry> c)
{
    std::lock_guard lock(mutex_);
    connections_.push_back(std::move(c));
}

bool server::begin_handshake() noexcept
{
    const auto max = opts_.max_pending_handshakes;
    auto n = handshakes_.load(std::memory_order_relaxed);
    do
    {
        if (max != 0 && n >= max)
            return false;
    } while (!handshakes_.compare_exchange_weak(n, n + 1, std::memory_order_relaxed));
    return true;
}

void server::end_handshake() noexcept
{
    handshakes_.fetch_sub(1, std::memory_order_relaxed);
}

void server::unregister_connection(const connection_entry* c)
{
    std::lock_guard lock(mutex_);
    std::erase_if(connections_, [c](const auto& e) { return e.get() == c; });
}

asio::awaitable<void> server::drain(std::chrono::milliseconds grace)
{
    using namespace std::chrono_literals;
    auto ex = co_await asio::this_coro::executor;
    // The grace period counts from the start of the drain, the GOAWAY phase included.
    const auto deadline = std::chrono::steady_clock::now() + grace;
    // Runs `op` on every registered connection's strand. A connection may end before the
    // posted work runs there: the entry is shared and `alive` (cleared on that strand)
    // tells. Waiting below polls connection_count() on a timer of this coroutine's own, so
    // nothing here is touched from the connections' threads.
    auto each_connection = [this](void (*op)(connection_entry&))
    {
        std::lock_guard lock(mutex_);
        for (const auto& c : connections_)
            asio::post(c->strand,
                       [c, op]
                       {
                           if (c->alive)
                               op(*c);
                       });
        return connections_.size();
    };
    asio::steady_timer poll(ex);
    const bool first = !draining_.exchange(true);
    if (!first)
    {
        // A later call waits for the end of the first one.
        while (connection_count() > 0)
        {
            poll.expires_after(20ms);
            co_await poll.async_wait(use_tuple);
        }
        co_return;
    }
    // Drain hooks first: health turns NOT_SERVING before any GOAWAY goes out.
    for (auto& hook : drain_hooks_)
        hook();
    {
        std::lock_guard lock(mutex_);
        for (auto* l : listeners_)
            asio::post(ex, [l] { l->close(); });
    }
    // Phase 1: GOAWAY(2^31-1) and a PING so clients stop opening streams; a session sends
    // the final GOAWAY (the last stream id actually seen) on the PING's ACK, and after a
    // round-trip allowance every session is told to send it (sessions send it once).
    auto count = each_connection([](connection_entry& e) { e.session->shutdown_notice(); });
    opts_.log.log(log_level::info, "rpcplugin.grpc", "draining",
                  {{"connections", std::to_string(count)}});
    poll.expires_after(std::min<std::chrono::milliseconds>(grace, 100ms));
    co_await poll.async_wait(use_tuple);
    each_connection([](connection_entry& e) { e.session->goaway(0); });
    // Phase 2: wait for the connections to finish their calls, up to the grace.
    while (connection_count() > 0 && std::chrono::steady_clock::now() < deadline)
    {
        poll.expires_at(std::min(deadline, std::chrono::steady_clock::now() + 10ms));
        co_await poll.async_wait(use_tuple);
    }
    // Phase 3: close what is left; their calls are cancelled.
    count = each_connection([](connection_entry& e) { e.stream->close(); });
    if (count > 0)
        opts_.log.log(log_level::warn, "rpcplugin.grpc", "grace period over; closing connections",
                      {{"connections", std::to_string(count)}});
    while (connection_count() > 0)
    {
        poll.expires_after(10ms);
        co_await poll.async_wait(use_tuple);
    }
}

namespace
{
std::string remote_address(const transport::socket& s)
{
    return std::visit(
        [](const auto& sock) -> std::string
        {
            boost::system::error_code ec;
            auto ep = sock.remote_endpoint(ec);
            if (ec)
                return "unknown";
            if constexpr (std::is_same_v<std::decay_t<decltype(sock)>, transport::tcp_socket>)
                return ep.address().to_string() + ":" + std::to_string(ep.port());
            else
                return "unix:" + ep.path();
        },
        s);
}
} // namespace

asio::awaitable<void> server::serve_connection(transport::socket s,
                                               std::shared_ptr<asio::ssl::context> tls)
{
    connection_context c{next_connection_id_.fetch_add(1, std::memory_order_relaxed),
                         remote_address(s),
                         s,
                         std::move(tls),
                         std::chrono::steady_clock::now() + opts_.http2.preface_timeout,
                         opts_.http2};
    connection_next next(connection_stages_, serve_last_step_);
    co_await next(c);
}
} // namespace rpcplugin::grpc
