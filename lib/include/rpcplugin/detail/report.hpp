#pragma once

/**
 * @file
 * Reporting what a background coroutine threw, instead of dropping it (`asio::detached`).
 */

#include "rpcplugin/log.hpp"

#include <exception>
#include <string>
#include <string_view>
#include <utility>

namespace rpcplugin::detail
{
/** The message of `e`: its `what()`, or "unknown exception" for other types. */
inline std::string exception_message(std::exception_ptr e)
{
    try
    {
        std::rethrow_exception(std::move(e));
    }
    catch (const std::exception& x)
    {
        return x.what();
    }
    catch (...)
    {
        return "unknown exception";
    }
}

/**
 * A `co_spawn` completion handler that logs an exception at error (`what` as the message,
 * the exception's text as field "error"), then calls `on_error()` so that the owner of the
 * coroutine fails what depended on it. Nothing happens when the coroutine returned.
 */
template <class OnError>
auto report_to(logger log, std::string_view module, std::string what, OnError on_error)
{
    return [log = std::move(log), module = std::string(module), what = std::move(what),
            on_error = std::move(on_error)](std::exception_ptr e) mutable
    {
        if (!e)
            return;
        log.log(log_level::error, module, what, {{"error", exception_message(e)}});
        on_error();
    };
}

/** As above, with nothing to fail but the log line. */
inline auto report_to(logger log, std::string_view module, std::string what)
{
    return report_to(std::move(log), module, std::move(what), [] {});
}
} // namespace rpcplugin::detail
