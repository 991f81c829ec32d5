#include "detail/log_exceptions.hpp"

namespace rpcplugin::detail
{
std::string exception_text(std::exception_ptr e)
{
    try
    {
        std::rethrow_exception(e);
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

void log_exceptions::report(std::exception_ptr e) const
{
    const std::string reason = exception_text(e);
    log_.log(log_level::error, module_, "background task failed",
             {{"task", what_}, {"error", reason}});
    if (on_failure_)
        on_failure_();
}
} // namespace rpcplugin::detail
