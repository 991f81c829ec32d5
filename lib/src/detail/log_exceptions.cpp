#include "detail/log_exceptions.hpp"

namespace rpcplugin::detail
{
void log_exceptions::report(std::exception_ptr e) const
{
    std::string reason = "unknown exception";
    try
    {
        std::rethrow_exception(e);
    }
    catch (const std::exception& x)
    {
        reason = x.what();
    }
    catch (...)
    {
    }
    log_.log(log_level::error, module_, "background task failed",
             {{"task", what_}, {"error", reason}});
    if (on_failure_)
        on_failure_();
}
} // namespace rpcplugin::detail
