#include "detail/log_exceptions.hpp"

#include <doctest/doctest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <stdexcept>
#include <string>
#include <vector>

namespace asio = boost::asio;

namespace
{
asio::awaitable<int> fails()
{
    throw std::runtime_error("the socket vanished");
    co_return 0;
}

asio::awaitable<int> succeeds()
{
    co_return 7;
}
} // namespace

TEST_SUITE("detail")
{
    TEST_CASE("log_exceptions logs a background task's exception at error and fails its owner")
    {
        std::vector<std::string> lines;
        rpcplugin::logger log(
            rpcplugin::log_level::info,
            [&](rpcplugin::log_level level, std::string_view module, std::string_view message,
                std::initializer_list<rpcplugin::log_field> fields)
            {
                std::string line = std::string(rpcplugin::to_string(level)) + " " +
                                   std::string(module) + ": " + std::string(message);
                for (const auto& [k, v] : fields)
                    line += " " + std::string(k) + "=" + std::string(v);
                lines.push_back(line);
            });
        int failures = 0;
        asio::io_context io;
        asio::co_spawn(io, fails(),
                       rpcplugin::detail::log_exceptions(log, "rpcplugin.test", "the accept loop",
                                                         [&] { ++failures; }));
        asio::co_spawn(io, succeeds(),
                       rpcplugin::detail::log_exceptions(log, "rpcplugin.test", "a quiet task",
                                                         [&] { ++failures; }));
        io.run();
        REQUIRE(lines.size() == 1);
        CHECK(lines[0] == "error rpcplugin.test: background task failed task=the accept loop "
                          "error=the socket vanished");
        CHECK(failures == 1);
    }

    TEST_CASE("exception_text gives what() of a std::exception, and a fixed text otherwise")
    {
        using rpcplugin::detail::exception_text;
        CHECK(exception_text(std::make_exception_ptr(std::runtime_error("disk full"))) ==
              "disk full");
        CHECK(exception_text(std::make_exception_ptr(42)) == "unknown exception");
    }
}
