#pragma once

/**
 * @file
 * The TCP port range a go-plugin host allows (`PLUGIN_MIN_PORT`, `PLUGIN_MAX_PORT`) and the
 * ports to try in it, in order. Binding is the listener's business.
 */

#include "rpcplugin/wire/error.hpp"

#include <boost/system/result.hpp>

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string_view>

namespace rpcplugin::plugin
{
/**
 * An inclusive range of TCP ports. `{0, 0}` (the default, both variables absent) means a
 * port the operating system assigns. A range starting at 0 with a non-zero end starts at 1:
 * port 0 would let the system pick a port outside the range.
 */
struct port_range
{
    /** First port to try. */
    std::uint16_t min = 0;
    /** Last port to try; `min <= max`. */
    std::uint16_t max = 0;

    /** True for `{0, 0}`: bind port 0 once and let the system choose. */
    bool system_assigned() const noexcept { return min == 0 && max == 0; }

    /** Member-wise equality. */
    friend bool operator==(const port_range&, const port_range&) = default;
};

/**
 * Reads `PLUGIN_MIN_PORT` and `PLUGIN_MAX_PORT` (values as given; absent or empty is
 * `nullopt`). Each must be decimal digits only and at most 65535.
 *
 * - both absent: `{0, 0}` (system-assigned), as go-plugin does;
 * - only `PLUGIN_MIN_PORT`: `min..65535`; only `PLUGIN_MAX_PORT`: `1..max` (go-plugin would
 *   treat the absent one as 0 and fail or bind port 0; hosts always send both);
 * - `min > max` is an error naming `PLUGIN_MIN_PORT` (go-plugin refuses it too).
 */
boost::system::result<port_range, wire::error>
parse_port_range(std::optional<std::string_view> min_port,
                 std::optional<std::string_view> max_port);

/**
 * The ports to try for `range`, in ascending order: `0` once for a system-assigned range,
 * otherwise `max(min, 1)` through `max`; none for an invalid range (`min > max`). A forward range
 * of `std::uint16_t`, usable in range-for; it holds no state besides the bounds.
 */
class port_candidates
{
public:
    /** Iterator over the candidate ports (a C++20 forward iterator yielding values). */
    class iterator
    {
    public:
        /// @name Iterator traits (a C++20 forward iterator yielding values)
        /// @{
        using iterator_concept = std::forward_iterator_tag; ///< Forward (C++20).
        using iterator_category = std::input_iterator_tag;  ///< Input (C++17: yields values).
        using value_type = std::uint16_t;                   ///< A port.
        using difference_type = std::ptrdiff_t;             ///< Distance between ports.
        using pointer = const std::uint16_t*;               ///< Unused.
        using reference = std::uint16_t;                    ///< A port, by value.
        /// @}

        /** A singular iterator. */
        iterator() = default;
        /** An iterator at `port` (65536 is the end of a range ending at 65535). */
        explicit iterator(std::uint32_t port) noexcept
            : port_(port)
        {
        }

        /** The port. */
        std::uint16_t operator*() const noexcept { return static_cast<std::uint16_t>(port_); }
        /** The next port. */
        iterator& operator++() noexcept
        {
            ++port_;
            return *this;
        }
        /** The next port; returns the iterator as it was. */
        iterator operator++(int) noexcept
        {
            iterator old = *this;
            ++port_;
            return old;
        }
        /** Member-wise equality. */
        friend bool operator==(const iterator&, const iterator&) = default;

    private:
        std::uint32_t port_ = 0; // one past 65535 must be representable
    };

    /** The candidates for `range`. */
    explicit port_candidates(port_range range) noexcept;

    /** The first candidate. */
    iterator begin() const noexcept { return iterator(first_); }
    /** Past the last candidate. */
    iterator end() const noexcept { return iterator(last_ + 1); }

    /** Number of candidates (0 to 65535). */
    std::size_t size() const noexcept { return last_ + 1 - first_; }

private:
    std::uint32_t first_;
    std::uint32_t last_;
};
} // namespace rpcplugin::plugin
