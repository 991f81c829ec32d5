#include "rpcplugin/plugin/config_error.hpp"

#include <ostream>
#include <stdexcept>

namespace rpcplugin::plugin
{
std::string config_error::to_string() const
{
    return variable + ": " + message;
}

std::ostream& operator<<(std::ostream& os, const config_error& e)
{
    return os << e.to_string();
}

void throw_exception_from_error(const config_error& e, const boost::source_location&)
{
    throw std::invalid_argument(e.to_string());
}
} // namespace rpcplugin::plugin
