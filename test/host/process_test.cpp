#include "rpcplugin/host/process.hpp"

#include "support/run.hpp"

#include <doctest/doctest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/read.hpp>

#include <csignal>
#include <sys/wait.h>

namespace asio = boost::asio;
using rpcplugin::host::child_process;
using rpcplugin::host::exit_status;
using rpcplugin::host::spawn_options;
using namespace std::chrono_literals;

namespace
{
spawn_options shell(std::string script)
{
    spawn_options o;
    o.path = "/bin/sh";
    o.args = {"-c", std::move(script)};
    o.env = {"GREETING=hello", "PATH=/usr/bin:/bin"};
    o.inherit_stdin = false;
    return o;
}

asio::awaitable<std::string> read_all(asio::readable_pipe& p)
{
    std::string out;
    co_await asio::async_read(p, asio::dynamic_buffer(out), rpcplugin::use_tuple);
    co_return out;
}

asio::awaitable<exit_status> wait_exit(child_process& c)
{
    auto [ec, st] = co_await c.wait();
    REQUIRE(!ec);
    co_return st;
}
} // namespace

TEST_SUITE("host")
{
    TEST_CASE("child_process runs a program with its environment, pipes and exit status")
    {
        asio::io_context io(1);
        auto c = child_process::spawn(
            io.get_executor(),
            shell("echo \"$GREETING\"; echo oops >&2; read x; echo \"stdin:$x.\"; exit 7"));
        REQUIRE(c.has_value());
        auto out = rpcplugin::test::run(io, read_all((*c)->stdout_pipe()));
        auto err = rpcplugin::test::run(io, read_all((*c)->stderr_pipe()));
        CHECK(out == "hello\nstdin:.\n"); // stdin is /dev/null
        CHECK(err == "oops\n");
        auto st = rpcplugin::test::run(io, wait_exit(**c));
        CHECK(st == exit_status{false, 7, 0});
        CHECK(st.to_string() == "exit status 7");
        CHECK((*c)->status() == st);
        errno = 0;
        CHECK(::waitpid((*c)->pid(), nullptr, WNOHANG) == -1);
        CHECK(errno == ECHILD);
    }

    TEST_CASE("child_process kill_and_reap ends a running child")
    {
        asio::io_context io(1);
        auto c = child_process::spawn(io.get_executor(), shell("exec sleep 30"));
        REQUIRE(c.has_value());
        CHECK_FALSE((*c)->try_reap().has_value());
        auto st = (*c)->kill_and_reap();
        CHECK(st.signaled);
        CHECK(st.signal == SIGKILL);
        CHECK(st.to_string() == "killed by signal 9 (SIGKILL)");
        CHECK(rpcplugin::test::run(io, wait_exit(**c)) == st); // at once once reaped
    }

    TEST_CASE("child_process wait is cancellable and the destructor reaps")
    {
        asio::io_context io(1);
        pid_t pid = 0;
        {
            auto c = child_process::spawn(io.get_executor(), shell("exec sleep 30"));
            REQUIRE(c.has_value());
            pid = (*c)->pid();
            CHECK_THROWS_AS(rpcplugin::test::run(io, wait_exit(**c), 100ms),
                            rpcplugin::test::timed_out);
        }
        errno = 0;
        CHECK(::waitpid(pid, nullptr, WNOHANG) == -1);
        CHECK(errno == ECHILD);
    }

    TEST_CASE("child_process reports exec failures and starts children with default signals")
    {
        asio::io_context io(1);
        spawn_options o;
        o.path = "/nonexistent/plugin";
        auto bad = child_process::spawn(io.get_executor(), o);
        REQUIRE(bad.has_error());
        CHECK(bad.error() == boost::system::errc::no_such_file_or_directory);
        o.path = "no-such-program-in-path";
        CHECK(child_process::spawn(io.get_executor(), o).has_error());

        // An ignored SIGTERM in the host is not inherited by the plugin.
        auto old = std::signal(SIGTERM, SIG_IGN);
        auto c = child_process::spawn(io.get_executor(), shell("kill -TERM $$; sleep 5"));
        std::signal(SIGTERM, old);
        REQUIRE(c.has_value());
        auto st = rpcplugin::test::run(io, wait_exit(**c));
        CHECK(st.signaled);
        CHECK(st.signal == SIGTERM);
    }
}
