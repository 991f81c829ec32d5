#include "rpcplugin/host/backoff.hpp"

#include <algorithm>
#include <cmath>

namespace rpcplugin::host
{
std::chrono::milliseconds backoff_delay(const backoff_policy& p, unsigned retry, double u) noexcept
{
    const double mult = std::max(1.0, p.multiplier);
    const double jitter = std::clamp(p.jitter, 0.0, 1.0);
    const double cap = static_cast<double>(std::max<std::int64_t>(0, p.max_delay.count()));
    double base = static_cast<double>(std::max<std::int64_t>(0, p.initial.count()));
    // Grow step by step and stop at the cap (no overflow for large retry numbers).
    for (unsigned i = 1; i < retry && base < cap; ++i)
        base *= mult;
    base = std::min(base, cap);
    const double factor = 1.0 + jitter * (2.0 * std::clamp(u, 0.0, 1.0) - 1.0);
    return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(base * factor)));
}
} // namespace rpcplugin::host
