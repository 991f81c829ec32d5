#include <rpcplugin/terraform/path.hpp>

#include "go_text.hpp"

#include <stdexcept>

namespace rpcplugin::terraform
{

std::string to_string(const attribute_path& p)
{
    std::string out;
    for (const auto& s : p)
    {
        switch (s.k)
        {
        case path_step::kind::attribute:
            out += '.';
            out += s.name;
            break;
        case path_step::kind::key:
            out += '[';
            detail::append_json_string(out, s.name);
            out += ']';
            break;
        case path_step::kind::index: out += '[' + std::to_string(s.index) + ']'; break;
        }
    }
    return out;
}

std::string error::what() const
{
    if (path.empty())
        return message;
    return "at " + to_string(path) + ": " + message;
}

void throw_exception_from_error(const error& e, const boost::source_location&)
{
    throw std::runtime_error(e.what());
}

} // namespace rpcplugin::terraform
