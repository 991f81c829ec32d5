#pragma once

/**
 * @file
 * Small text helpers shared by every module.
 */

#include <string_view>

namespace rpcplugin::detail
{
/** ASCII whitespace, as C's `isspace` in the "C" locale. */
inline constexpr std::string_view ascii_space = " \t\n\v\f\r";

/** `s` without leading and trailing characters from `chars` (ASCII whitespace by default). */
constexpr std::string_view trim(std::string_view s, std::string_view chars = ascii_space) noexcept
{
    const auto first = s.find_first_not_of(chars);
    if (first == std::string_view::npos)
        return {};
    return s.substr(first, s.find_last_not_of(chars) - first + 1);
}
} // namespace rpcplugin::detail
