#include "rpcplugin/transport/listener.hpp"

#include "rpcplugin/transport/error.hpp"

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <cerrno>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace rpcplugin::transport
{
namespace
{
using boost::system::error_code;
using unix_protocol = asio::local::stream_protocol;

error_code last_errno()
{
    return {errno, boost::system::system_category()};
}

// A socket file exists at `path`: is anyone accepting on it? Only ECONNREFUSED proves that
// nobody is. EACCES (another user's socket), EAGAIN (a full backlog; the probe does not
// block) and other failures prove nothing, so such a file is never treated as stale.
enum class probe_result
{
    live,
    stale,
    unknown,
};

probe_result probe_socket(const std::string& path, error_code& ec)
{
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
    {
        ec = last_errno();
        return probe_result::unknown;
    }
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    path.copy(addr.sun_path, sizeof(addr.sun_path) - 1);
    int rv = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    int err = errno;
    ::close(fd);
    if (rv == 0 || err == EAGAIN || err == EINPROGRESS)
        return probe_result::live;
    if (err == ECONNREFUSED || err == ENOENT)
        return probe_result::stale;
    ec = {err, boost::system::system_category()};
    return probe_result::unknown;
}

error_code clear_socket_path(const std::string& path, const listen_options& opts)
{
    struct stat st
    {
    };
    if (::lstat(path.c_str(), &st) != 0)
        return errno == ENOENT ? error_code{} : last_errno();
    if (!S_ISSOCK(st.st_mode))
        return errc::not_a_socket;
    error_code probe_error;
    auto probe = probe_socket(path, probe_error);
    if (probe == probe_result::live)
        return errc::address_in_use;
    if (probe == probe_result::unknown)
        return probe_error;
    if (!opts.remove_stale)
        return errc::address_in_use;
    if (::unlink(path.c_str()) != 0 && errno != ENOENT)
        return last_errno();
    return {};
}

boost::system::result<unix_protocol::acceptor>
bind_unix(asio::any_io_executor ex, const std::string& path, const listen_options& opts)
{
    if (path.size() >= sizeof(sockaddr_un{}.sun_path))
        return errc::path_too_long;
    if (auto ec = clear_socket_path(path, opts))
        return ec;
    unix_protocol::acceptor acc(ex);
    error_code ec;
    acc.open(unix_protocol{}, ec);
    if (!ec)
        acc.bind(unix_protocol::endpoint(path), ec);
    if (ec)
        return ec;
    // Permissions are set between bind and listen: until listen, connects are refused,
    // so no peer can reach the socket with the default mode.
    if (::chmod(path.c_str(), opts.unix_mode) != 0 ||
        (opts.unix_group && ::chown(path.c_str(), static_cast<uid_t>(-1), *opts.unix_group) != 0))
    {
        ec = last_errno();
        ::unlink(path.c_str());
        return ec;
    }
    acc.listen(opts.backlog, ec);
    if (ec)
    {
        ::unlink(path.c_str());
        return ec;
    }
    return acc;
}

boost::system::result<asio::ip::tcp::acceptor>
bind_tcp(asio::any_io_executor ex, const endpoint& ep, const listen_options& opts)
{
    error_code ec;
    std::string host = ep.host == "localhost" ? "127.0.0.1" : ep.host;
    auto addr = asio::ip::make_address(host, ec);
    if (ec)
        return errc::bad_endpoint;
    asio::ip::tcp::endpoint tep(addr, ep.port);
    asio::ip::tcp::acceptor acc(ex);
    acc.open(tep.protocol(), ec);
    if (!ec)
        acc.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec && addr.is_v6())
        acc.set_option(asio::ip::v6_only(true), ec);
    if (!ec)
        acc.bind(tep, ec);
    if (!ec)
        acc.listen(opts.backlog, ec);
    if (ec)
        return ec;
    return acc;
}
} // namespace

listener::listener(acceptor a, endpoint local)
    : acceptor_(std::move(a))
    , local_(std::move(local))
    , owns_path_(local_.family == endpoint::kind::local)
{
}

listener::listener(listener&& other) noexcept
    : acceptor_(std::move(other.acceptor_))
    , local_(std::move(other.local_))
    , owns_path_(std::exchange(other.owns_path_, false))
{
}

listener& listener::operator=(listener&& other) noexcept
{
    if (this != &other)
    {
        close();
        acceptor_ = std::move(other.acceptor_);
        local_ = std::move(other.local_);
        owns_path_ = std::exchange(other.owns_path_, false);
    }
    return *this;
}

listener::~listener()
{
    close();
}

boost::system::result<listener> listener::bind(asio::any_io_executor ex, const endpoint& ep,
                                               const listen_options& opts)
{
    if (ep.family == endpoint::kind::local)
    {
        auto acc = bind_unix(ex, ep.path, opts);
        if (!acc)
            return acc.error();
        return listener(std::move(*acc), ep);
    }
    auto acc = bind_tcp(ex, ep, opts);
    if (!acc)
        return acc.error();
    error_code ec;
    auto bound = acc->local_endpoint(ec);
    if (ec)
        return ec;
    return listener(std::move(*acc), tcp_endpoint(bound.address().to_string(), bound.port()));
}

asio::awaitable<std::tuple<error_code, socket>>
listener::accept(asio::any_io_executor socket_executor)
{
    if (auto* tcp = std::get_if<asio::ip::tcp::acceptor>(&acceptor_))
    {
        auto [ec, s] = co_await tcp->async_accept(socket_executor, use_tuple);
        if (!ec)
            s.set_option(asio::ip::tcp::no_delay(true), ec);
        co_return std::tuple<error_code, socket>{ec, socket{std::move(s)}};
    }
    auto& ua = std::get<unix_protocol::acceptor>(acceptor_);
    auto [ec, s] = co_await ua.async_accept(socket_executor, use_tuple);
    co_return std::tuple<error_code, socket>{ec, socket{std::move(s)}};
}

bool listener::is_open() const noexcept
{
    return std::visit([](const auto& a) { return a.is_open(); }, acceptor_);
}

void listener::close() noexcept
{
    std::visit(
        [](auto& a)
        {
            error_code ignored;
            a.close(ignored);
        },
        acceptor_);
    if (owns_path_)
    {
        ::unlink(local_.path.c_str());
        owns_path_ = false;
    }
}
} // namespace rpcplugin::transport
