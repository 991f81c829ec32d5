#pragma once

#include <rpcplugin/terraform/path.hpp>

#include <string>
#include <vector>

namespace rpcplugin::terraform
{

/// A problem or warning reported to Terraform, optionally pointing at an attribute.
struct diagnostic
{
    enum class severity_kind : std::uint8_t
    {
        error = 1,
        warning = 2
    };
    severity_kind severity = severity_kind::error;
    std::string summary;
    std::string detail;
    attribute_path path; ///< empty: the whole block

    static diagnostic error(std::string summary, std::string detail = {}, attribute_path p = {})
    {
        return {severity_kind::error, std::move(summary), std::move(detail), std::move(p)};
    }
    static diagnostic warning(std::string summary, std::string detail = {}, attribute_path p = {})
    {
        return {severity_kind::warning, std::move(summary), std::move(detail), std::move(p)};
    }
};

using diagnostics = std::vector<diagnostic>;

/// True if any diagnostic is an error.
inline bool has_errors(const diagnostics& ds)
{
    for (const auto& d : ds)
        if (d.severity == diagnostic::severity_kind::error)
            return true;
    return false;
}

} // namespace rpcplugin::terraform
