#include "rpcplugin/transport/stream.hpp"

namespace rpcplugin::transport
{
namespace
{
template <class T>
struct is_tls_stream : std::false_type
{
};
template <class S>
struct is_tls_stream<asio::ssl::stream<S>> : std::true_type
{
};

template <class S>
auto& lowest(S& s)
{
    if constexpr (is_tls_stream<std::remove_const_t<S>>::value)
        return s.next_layer();
    else
        return s;
}
} // namespace

stream::stream(socket s)
    : v_(std::visit([](auto& x) -> decltype(v_) { return decltype(v_)(std::move(x)); }, s))
{
}

stream::stream(tls_tcp s)
    : v_(std::move(s))
{
}

stream::stream(tls_unix s)
    : v_(std::move(s))
{
}

stream::stream(stream&&) noexcept = default;
stream& stream::operator=(stream&&) noexcept = default;
stream::~stream() = default;

stream::executor_type stream::get_executor() noexcept
{
    return std::visit([](auto& s) -> executor_type { return s.get_executor(); }, v_);
}

bool stream::is_tls() const noexcept
{
    return v_.index() >= 2;
}

bool stream::is_unix() const noexcept
{
    return v_.index() == 1 || v_.index() == 3;
}

std::string stream::remote_address() const
{
    return std::visit(
        [](const auto& s) -> std::string
        {
            const auto& sock = lowest(s);
            boost::system::error_code ec;
            auto ep = sock.remote_endpoint(ec);
            if (ec)
                return "unknown";
            if constexpr (std::is_same_v<std::decay_t<decltype(sock)>, tcp_socket>)
                return ep.address().to_string() + ":" + std::to_string(ep.port());
            else
                return "unix:" + ep.path();
        },
        v_);
}

SSL* stream::native_tls_handle() noexcept
{
    return std::visit(
        [](auto& s) -> SSL*
        {
            if constexpr (is_tls_stream<std::decay_t<decltype(s)>>::value)
                return s.native_handle();
            else
                return nullptr;
        },
        v_);
}

void stream::close() noexcept
{
    std::visit(
        [](auto& s)
        {
            auto& sock = lowest(s);
            boost::system::error_code ignored;
            sock.shutdown(asio::socket_base::shutdown_both, ignored);
            sock.close(ignored);
        },
        v_);
}
} // namespace rpcplugin::transport
