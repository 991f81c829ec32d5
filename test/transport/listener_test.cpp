#include "rpcplugin/transport/listener.hpp"

#include "rpcplugin/transport/error.hpp"
#include "support/run.hpp"
#include "support/temp_dir.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <doctest/doctest.h>

#include <array>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <utility>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

namespace asio = boost::asio;
namespace transport = rpcplugin::transport;
using boost::system::error_code;
using rpcplugin::use_tuple;
using rpcplugin::test::temp_dir;
using transport::listener;

namespace
{
using unix_protocol = asio::local::stream_protocol;

struct file_info
{
    bool exists = false;
    bool is_socket = false;
    unsigned mode = 0;
    uid_t uid = 0;
    gid_t gid = 0;
};

file_info inspect(const std::string& path)
{
    struct stat st
    {
    };
    if (::lstat(path.c_str(), &st) != 0)
        return {};
    return {true, S_ISSOCK(st.st_mode), static_cast<unsigned>(st.st_mode & 07777), st.st_uid,
            st.st_gid};
}

/** Leaves a socket file that nobody listens on, as a crashed server does. */
void make_stale_socket(asio::io_context& io, const std::string& path)
{
    unix_protocol::acceptor a(io, unix_protocol::endpoint(path));
    a.close();
    REQUIRE(inspect(path).is_socket);
}

/** True when a client can connect to `path` now. */
bool can_connect(asio::io_context& io, const std::string& path)
{
    unix_protocol::socket s(io);
    error_code ec;
    s.connect(unix_protocol::endpoint(path), ec);
    return !ec;
}

// g++ 12 inlines Asio's frame allocation (aligned_alloc in thread_info_base) into this
// coroutine's ramp and then reports its operator delete as mismatched: a false positive.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
/** Connects a client to the listener's Unix path, accepts it and passes a few bytes. */
asio::awaitable<void> accept_and_exchange(listener& l, asio::io_context& io)
{
    unix_protocol::socket client(io);
    auto [cec] =
        co_await client.async_connect(unix_protocol::endpoint(l.local_endpoint().path), use_tuple);
    REQUIRE_FALSE(cec);
    auto [aec, s] = co_await l.accept(io.get_executor());
    REQUIRE_FALSE(aec);
    REQUIRE(std::holds_alternative<transport::unix_socket>(s));
    auto& server = std::get<transport::unix_socket>(s);
    auto [wec, wn] = co_await asio::async_write(client, asio::buffer("ping", 4), use_tuple);
    REQUIRE_FALSE(wec);
    std::array<char, 4> buf{};
    auto [rec, rn] = co_await asio::async_read(server, asio::buffer(buf), use_tuple);
    REQUIRE_FALSE(rec);
    CHECK(std::string(buf.data(), rn) == "ping");
}
#pragma GCC diagnostic pop
} // namespace

TEST_SUITE("transport")
{
    TEST_CASE("listener on TCP port 0 gets a real port and accepts a connection")
    {
        asio::io_context io;
        auto bound = listener::bind(io.get_executor(), transport::tcp_endpoint("127.0.0.1", 0));
        REQUIRE(bound.has_value());
        auto& l = *bound;
        CHECK(l.is_open());
        CHECK(l.local_endpoint().family == transport::endpoint::kind::tcp);
        CHECK(l.local_endpoint().host == "127.0.0.1");
        REQUIRE(l.local_endpoint().port != 0);

        rpcplugin::test::run(
            io,
            [&]() -> asio::awaitable<void>
            {
                asio::ip::tcp::socket client(io);
                asio::ip::tcp::endpoint target(asio::ip::make_address("127.0.0.1"),
                                               l.local_endpoint().port);
                auto [cec] = co_await client.async_connect(target, use_tuple);
                REQUIRE_FALSE(cec);
                auto [aec, s] = co_await l.accept(io.get_executor());
                REQUIRE_FALSE(aec);
                REQUIRE(std::holds_alternative<transport::tcp_socket>(s));
                auto& server = std::get<transport::tcp_socket>(s);
                CHECK(server.remote_endpoint() == client.local_endpoint());
                asio::ip::tcp::no_delay nodelay;
                server.get_option(nodelay);
                CHECK(nodelay.value()); // small HTTP/2 frames must not wait for Nagle

                auto [wec, wn] =
                    co_await asio::async_write(client, asio::buffer("ping", 4), use_tuple);
                REQUIRE_FALSE(wec);
                std::array<char, 4> buf{};
                auto [rec, rn] = co_await asio::async_read(server, asio::buffer(buf), use_tuple);
                REQUIRE_FALSE(rec);
                CHECK(std::string(buf.data(), rn) == "ping");
            }());
    }

    TEST_CASE("listener binds localhost and IPv6 loopback with port 0")
    {
        asio::io_context io;
        auto v4 = listener::bind(io.get_executor(), transport::tcp_endpoint("localhost", 0));
        REQUIRE(v4.has_value());
        CHECK(v4->local_endpoint().host == "127.0.0.1");
        CHECK(v4->local_endpoint().port != 0);

        auto v6 = listener::bind(io.get_executor(), *transport::parse_endpoint("[::1]:0"));
        if (!v6 && (v6.error() == boost::system::errc::address_family_not_supported ||
                    v6.error() == boost::system::errc::address_not_available))
        {
            MESSAGE("no IPv6 loopback here: " << v6.error().message());
            return;
        }
        REQUIRE(v6.has_value());
        CHECK(v6->local_endpoint().host == "::1");
        CHECK(v6->local_endpoint().port != 0);
        CHECK(v6->local_endpoint().to_string().starts_with("[::1]:"));
    }

    TEST_CASE("listener refuses a TCP port that is in use and a host that is not an address")
    {
        asio::io_context io;
        auto first = listener::bind(io.get_executor(), transport::tcp_endpoint("127.0.0.1", 0));
        REQUIRE(first.has_value());
        auto second = listener::bind(
            io.get_executor(), transport::tcp_endpoint("127.0.0.1", first->local_endpoint().port));
        REQUIRE(second.has_error());
        CHECK(second.error() == asio::error::address_in_use);

        auto name =
            listener::bind(io.get_executor(), transport::tcp_endpoint("example.invalid", 0));
        REQUIRE(name.has_error());
        CHECK(name.error() == transport::errc::bad_endpoint);
    }

    TEST_CASE("listener creates a Unix socket file with mode 0600 by default")
    {
        temp_dir dir;
        asio::io_context io;
        auto path = dir.file("default.sock");
        auto l = listener::bind(io.get_executor(), transport::unix_endpoint(path));
        REQUIRE(l.has_value());
        CHECK(l->local_endpoint() == transport::unix_endpoint(path));
        auto info = inspect(path);
        CHECK(info.is_socket);
        CHECK(info.mode == 0600);
        rpcplugin::test::run(io, accept_and_exchange(*l, io));
    }

    TEST_CASE("listener creates a Unix socket file with the requested mode")
    {
        temp_dir dir;
        asio::io_context io;
        for (unsigned mode : {0660u, 0666u, 0700u})
        {
            CAPTURE(mode);
            auto path = dir.file("mode-" + std::to_string(mode) + ".sock");
            transport::listen_options opts;
            opts.unix_mode = mode;
            auto l = listener::bind(io.get_executor(), transport::unix_endpoint(path), opts);
            REQUIRE(l.has_value());
            auto info = inspect(path);
            CHECK(info.is_socket);
            CHECK(info.mode == mode);
        }
    }

    TEST_CASE("listener sets the group of a Unix socket file when asked")
    {
        if (::geteuid() != 0)
        {
            MESSAGE("changing to an arbitrary group needs root; skipped");
            return;
        }
        temp_dir dir;
        asio::io_context io;
        auto path = dir.file("group.sock");
        transport::listen_options opts;
        opts.unix_mode = 0660;
        opts.unix_group = static_cast<gid_t>(4242);
        auto l = listener::bind(io.get_executor(), transport::unix_endpoint(path), opts);
        REQUIRE(l.has_value());
        CHECK(inspect(path).gid == 4242);
        CHECK(inspect(path).mode == 0660);
    }

    TEST_CASE("listener replaces a stale socket file")
    {
        temp_dir dir;
        asio::io_context io;
        auto path = dir.file("stale.sock");
        make_stale_socket(io, path);
        REQUIRE_FALSE(can_connect(io, path));

        auto l = listener::bind(io.get_executor(), transport::unix_endpoint(path));
        REQUIRE(l.has_value());
        CHECK(inspect(path).is_socket);
        CHECK(inspect(path).mode == 0600);
        rpcplugin::test::run(io, accept_and_exchange(*l, io));
    }

    TEST_CASE("listener keeps a stale socket file when remove_stale is off")
    {
        temp_dir dir;
        asio::io_context io;
        auto path = dir.file("stale.sock");
        make_stale_socket(io, path);
        transport::listen_options opts;
        opts.remove_stale = false;
        auto l = listener::bind(io.get_executor(), transport::unix_endpoint(path), opts);
        REQUIRE(l.has_error());
        CHECK(l.error() == transport::errc::address_in_use);
        CHECK(inspect(path).is_socket);
    }

    TEST_CASE("listener refuses the path of a live listener with address_in_use")
    {
        temp_dir dir;
        asio::io_context io;
        auto path = dir.file("live.sock");
        auto live = listener::bind(io.get_executor(), transport::unix_endpoint(path));
        REQUIRE(live.has_value());

        auto second = listener::bind(io.get_executor(), transport::unix_endpoint(path));
        REQUIRE(second.has_error());
        CHECK(second.error() == transport::errc::address_in_use);
        CHECK(second.error().category().name() == std::string_view("rpcplugin.transport"));
        // The live listener still owns a working socket file.
        CHECK(inspect(path).is_socket);
        CHECK(can_connect(io, path));
    }

    TEST_CASE("listener does not remove a live socket file it may not connect to")
    {
        // A live socket of another user (mode 0600) refuses our connect with EACCES; that
        // does not make it stale.
        if (::geteuid() != 0)
        {
            MESSAGE("running a second user needs root; skipped");
            return;
        }
        temp_dir dir;
        std::filesystem::permissions(dir.path(), std::filesystem::perms::all);
        asio::io_context io;
        auto path = dir.file("live.sock");
        auto live = listener::bind(io.get_executor(), transport::unix_endpoint(path));
        REQUIRE(live.has_value());
        REQUIRE(inspect(path).uid == 0);

        pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0)
        {
            if (::setgid(65534) != 0 || ::setuid(65534) != 0)
                ::_exit(90);
            asio::io_context child_io;
            auto r = listener::bind(child_io.get_executor(), transport::unix_endpoint(path));
            ::_exit(r.has_value() ? 1 : 0); // _exit: the child's listener keeps its file
        }
        int status = 0;
        REQUIRE(::waitpid(pid, &status, 0) == pid);
        REQUIRE(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0); // the other user's bind failed
        auto info = inspect(path);
        CHECK(info.is_socket);
        CHECK(info.uid == 0); // still our socket, not replaced
        CHECK(can_connect(io, path));
    }

    TEST_CASE("listener refuses a path that is not a socket and leaves it alone")
    {
        temp_dir dir;
        asio::io_context io;

        SUBCASE("a regular file")
        {
            auto path = dir.file("data.txt");
            std::ofstream(path) << "precious";
            auto l = listener::bind(io.get_executor(), transport::unix_endpoint(path));
            REQUIRE(l.has_error());
            CHECK(l.error() == transport::errc::not_a_socket);
            std::ifstream in(path);
            std::string content((std::istreambuf_iterator<char>(in)),
                                std::istreambuf_iterator<char>());
            CHECK(content == "precious");
        }
        SUBCASE("a directory")
        {
            auto path = dir.file("subdir");
            std::filesystem::create_directory(path);
            auto l = listener::bind(io.get_executor(), transport::unix_endpoint(path));
            REQUIRE(l.has_error());
            CHECK(l.error() == transport::errc::not_a_socket);
            CHECK(std::filesystem::is_directory(path));
        }
        SUBCASE("a symbolic link to a stale socket")
        {
            auto target = dir.file("stale.sock");
            make_stale_socket(io, target);
            auto path = dir.file("link.sock");
            std::filesystem::create_symlink(target, path);
            auto l = listener::bind(io.get_executor(), transport::unix_endpoint(path));
            REQUIRE(l.has_error());
            CHECK(l.error() == transport::errc::not_a_socket);
            CHECK(std::filesystem::is_symlink(path));
            CHECK(inspect(target).is_socket);
        }
    }

    TEST_CASE("listener removes its socket file on close and on destruction")
    {
        temp_dir dir;
        asio::io_context io;
        auto path = dir.file("owned.sock");

        SUBCASE("close")
        {
            auto l = listener::bind(io.get_executor(), transport::unix_endpoint(path));
            REQUIRE(l.has_value());
            REQUIRE(inspect(path).exists);
            l->close();
            CHECK_FALSE(l->is_open());
            CHECK_FALSE(inspect(path).exists);
            // Idempotent, and it does not remove a file someone else created since.
            make_stale_socket(io, path);
            l->close();
            CHECK(inspect(path).exists);
        }
        SUBCASE("destruction")
        {
            {
                auto l = listener::bind(io.get_executor(), transport::unix_endpoint(path));
                REQUIRE(l.has_value());
                REQUIRE(inspect(path).exists);
            }
            CHECK_FALSE(inspect(path).exists);
        }
    }

    TEST_CASE("listener moves ownership of its socket file")
    {
        temp_dir dir;
        asio::io_context io;
        auto path_a = dir.file("a.sock");
        auto path_b = dir.file("b.sock");
        auto a = listener::bind(io.get_executor(), transport::unix_endpoint(path_a));
        auto b = listener::bind(io.get_executor(), transport::unix_endpoint(path_b));
        REQUIRE(a.has_value());
        REQUIRE(b.has_value());
        {
            listener moved(std::move(*a));
            a->close(); // the moved-from listener owns nothing any more
            CHECK(inspect(path_a).exists);
            CHECK(moved.is_open());

            moved = std::move(*b); // closes a.sock, takes over b.sock
            CHECK_FALSE(inspect(path_a).exists);
            CHECK(inspect(path_b).exists);
            CHECK(moved.local_endpoint().path == path_b);
            rpcplugin::test::run(io, accept_and_exchange(moved, io));
        }
        CHECK_FALSE(inspect(path_b).exists);
    }

    TEST_CASE("listener refuses a Unix path longer than sockaddr_un allows")
    {
        temp_dir dir;
        asio::io_context io;
        std::string base = dir.file("");
        REQUIRE(base.size() < 100);
        // sun_path holds 108 bytes including the terminating NUL.
        auto longest = base + std::string(107 - base.size(), 'x');
        auto too_long = base + std::string(108 - base.size(), 'y');
        REQUIRE(longest.size() == 107);

        auto bad = listener::bind(io.get_executor(), transport::unix_endpoint(too_long));
        REQUIRE(bad.has_error());
        CHECK(bad.error() == transport::errc::path_too_long);
        CHECK_FALSE(inspect(too_long).exists);
        CHECK_FALSE(inspect(too_long.substr(0, 107)).exists); // no truncated file either

        auto good = listener::bind(io.get_executor(), transport::unix_endpoint(longest));
        REQUIRE(good.has_value());
        CHECK(inspect(longest).is_socket);
    }

    TEST_CASE("listener close() ends a pending accept with operation_aborted")
    {
        asio::io_context io;
        auto l = listener::bind(io.get_executor(), transport::tcp_endpoint("127.0.0.1", 0));
        REQUIRE(l.has_value());
        auto ec = rpcplugin::test::run(io,
                                       [&]() -> asio::awaitable<error_code>
                                       {
                                           asio::post(io, [&] { l->close(); });
                                           auto [aec, s] = co_await l->accept(io.get_executor());
                                           co_return aec;
                                       }());
        CHECK(ec == asio::error::operation_aborted);
    }

    TEST_CASE("listener accept is cancellable per operation and the listener stays usable")
    {
        using namespace asio::experimental::awaitable_operators;
        temp_dir dir;
        asio::io_context io;
        auto l = listener::bind(io.get_executor(), transport::unix_endpoint(dir.file("c.sock")));
        REQUIRE(l.has_value());
        auto index =
            rpcplugin::test::run(io,
                                 [&]() -> asio::awaitable<std::size_t>
                                 {
                                     asio::steady_timer t(io, std::chrono::milliseconds(5));
                                     auto r = co_await (l->accept(io.get_executor()) ||
                                                        t.async_wait(asio::use_awaitable));
                                     co_return r.index();
                                 }());
        CHECK(index == 1);
        CHECK(l->is_open());
        rpcplugin::test::run(io, accept_and_exchange(*l, io));
    }
}
