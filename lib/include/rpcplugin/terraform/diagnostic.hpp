#pragma once

#include <rpcplugin/terraform/path.hpp>

#include <string>
#include <vector>

namespace rpcplugin::terraform
{

/// A problem or warning reported to Terraform, optionally pointing at an attribute.
struct diagnostic
{
    /// How serious the diagnostic is (the values of tfplugin's Diagnostic.Severity).
    enum class severity_kind : std::uint8_t
    {
        error = 1,  ///< the operation failed; Terraform stops and shows it
        warning = 2 ///< shown to the user; the operation goes on
    };
    /// Error or warning; defaults to error.
    severity_kind severity = severity_kind::error;
    /// One line saying what is wrong, shown as the diagnostic's title.
    std::string summary;
    /// A longer explanation shown below the summary; may be empty.
    std::string detail;
    attribute_path path; ///< the attribute it concerns; empty: the whole block

    /// An error diagnostic about `p` (empty: the whole block).
    static diagnostic error(std::string summary, std::string detail = {}, attribute_path p = {})
    {
        return {severity_kind::error, std::move(summary), std::move(detail), std::move(p)};
    }
    /// A warning diagnostic about `p` (empty: the whole block).
    static diagnostic warning(std::string summary, std::string detail = {}, attribute_path p = {})
    {
        return {severity_kind::warning, std::move(summary), std::move(detail), std::move(p)};
    }
};

/// The diagnostics of one call, in the order Terraform shows them.
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
