#include "rpcplugin/grpc/timeout.hpp"

#include "rpcplugin/grpc/error.hpp"

#include <cstdint>

namespace rpcplugin::grpc
{

namespace
{

constexpr std::int64_t max_digits_value = 99'999'999;

/** Nanoseconds per unit, finest first; the order `format_timeout` tries them in. */
struct unit
{
    char symbol;
    std::int64_t nanos;
};

constexpr unit units[] = {
    {'n', 1},
    {'u', 1'000},
    {'m', 1'000'000},
    {'S', 1'000'000'000},
    {'M', 60'000'000'000},
    {'H', 3'600'000'000'000},
};

constexpr std::int64_t unit_nanos(char symbol) noexcept
{
    for (const unit& u : units)
    {
        if (u.symbol == symbol)
        {
            return u.nanos;
        }
    }
    return 0;
}

} // namespace

boost::system::result<std::chrono::nanoseconds> parse_timeout(std::string_view value)
{
    if (value.size() < 2 || value.size() > 9)
    {
        return make_error_code(errc::bad_timeout);
    }
    const std::int64_t per_unit = unit_nanos(value.back());
    if (per_unit == 0)
    {
        return make_error_code(errc::bad_timeout);
    }

    std::int64_t count = 0;
    for (const char c : value.substr(0, value.size() - 1))
    {
        if (c < '0' || c > '9')
        {
            return make_error_code(errc::bad_timeout);
        }
        count = count * 10 + (c - '0');
    }

    // count <= 99'999'999, so the comparison cannot overflow: max_timeout / per_unit >= 876'000.
    const std::int64_t limit = max_timeout.count();
    if (count > limit / per_unit)
    {
        return max_timeout;
    }
    return std::chrono::nanoseconds{count * per_unit};
}

std::string format_timeout(std::chrono::nanoseconds timeout)
{
    const std::int64_t nanos = timeout.count();
    if (nanos <= 0)
    {
        return "1n";
    }
    for (const unit& u : units)
    {
        // Round up; written so that it cannot overflow.
        const std::int64_t count = nanos / u.nanos + (nanos % u.nanos != 0 ? 1 : 0);
        if (count <= max_digits_value)
        {
            std::string out = std::to_string(count);
            out.push_back(u.symbol);
            return out;
        }
    }
    // Unreachable: INT64_MAX ns is about 2.6 million hours, which fits in 8 digits.
    return std::to_string(max_digits_value) + "H";
}

} // namespace rpcplugin::grpc
