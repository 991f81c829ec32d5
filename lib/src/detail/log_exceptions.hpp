#pragma once

// The completion handler of every background coroutine the library spawns: nothing is
// spawned with `asio::detached`, which would drop an exception silently.

#include "rpcplugin/log.hpp"

#include <exception>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

namespace rpcplugin::detail
{
/** The text of the exception `e` holds: `what()` of a std::exception, else "unknown
    exception". */
std::string exception_text(std::exception_ptr e);

/**
 * `asio::co_spawn(ex, task(), log_exceptions(log, "rpcplugin.plugin", "the accept loop"))`:
 * when the coroutine ends with an exception, logs `background task failed` at error with
 * the task's name and the exception's text, then calls `on_failure` (the owner fails with
 * it: a server stops, a client closes). Results of the coroutine are ignored.
 *
 * Thread safety: called once, on the coroutine's executor.
 */
class log_exceptions
{
public:
    log_exceptions(logger log, std::string_view module, std::string what,
                   std::function<void()> on_failure = {})
        : log_(std::move(log))
        , module_(module)
        , what_(std::move(what))
        , on_failure_(std::move(on_failure))
    {
    }

    template <class... Results>
    void operator()(std::exception_ptr e, Results&&...) const
    {
        if (e)
            report(e);
    }

private:
    void report(std::exception_ptr e) const;

    logger log_;
    std::string_view module_;
    std::string what_;
    std::function<void()> on_failure_;
};
} // namespace rpcplugin::detail
