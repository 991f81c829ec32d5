#include "rpcplugin/plugin/port_range.hpp"

#include "rpcplugin/wire/json.hpp"

#include <algorithm>
#include <charconv>
#include <string>

namespace rpcplugin::plugin
{
namespace
{
boost::system::result<std::optional<std::uint16_t>, wire::error>
parse_port(std::string_view variable, std::optional<std::string_view> text)
{
    if (!text || text->empty())
        return std::optional<std::uint16_t>{};
    const bool digits =
        std::all_of(text->begin(), text->end(), [](char c) { return c >= '0' && c <= '9'; });
    unsigned long value = 0;
    const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
    if (!digits || ec != std::errc{} || end != text->data() + text->size() || value > 65535)
        return wire::setting_error(std::string(variable),
                                   wire::json_string(*text) + " is not a port number (0-65535)");
    return std::optional<std::uint16_t>{static_cast<std::uint16_t>(value)};
}
} // namespace

boost::system::result<port_range, wire::error>
parse_port_range(std::optional<std::string_view> min_port, std::optional<std::string_view> max_port)
{
    auto min = parse_port("PLUGIN_MIN_PORT", min_port);
    if (!min)
        return min.error();
    auto max = parse_port("PLUGIN_MAX_PORT", max_port);
    if (!max)
        return max.error();
    if (!*min && !*max)
        return port_range{};
    port_range range{min->value_or(1), max->value_or(65535)};
    if (range.min > range.max)
        return wire::setting_error("PLUGIN_MIN_PORT",
                                   "value of " + std::to_string(range.min) +
                                       " is greater than PLUGIN_MAX_PORT value of " +
                                       std::to_string(range.max));
    return range;
}

port_candidates::port_candidates(port_range range) noexcept
    : first_(range.system_assigned() ? 0u : std::max<std::uint32_t>(range.min, 1u))
    , last_(range.max)
{
    if (last_ < first_) // min > max: no candidates
        last_ = first_ - 1;
}
} // namespace rpcplugin::plugin
