#include "histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace bench
{
namespace
{
constexpr unsigned sub_bits = 7;                       // 128 sub-buckets per power of two
constexpr std::uint64_t linear_limit = 2u << sub_bits; // values below are exact (256)
constexpr unsigned max_bits = 42;                      // 2^42 ns: about 73 minutes
constexpr std::size_t bucket_count =
    linear_limit + (max_bits - sub_bits) * (std::size_t{1} << sub_bits);
} // namespace

histogram::histogram()
    : counts_(bucket_count, 0)
{
}

std::size_t histogram::index_of(std::uint64_t value) noexcept
{
    if (value < linear_limit)
        return static_cast<std::size_t>(value);
    unsigned msb = 63u - static_cast<unsigned>(std::countl_zero(value));
    unsigned shift = msb - sub_bits;                         // >= 1 here
    std::uint64_t sub = (value >> shift) - (1u << sub_bits); // 0..127
    std::size_t i =
        linear_limit + (shift - 1) * (std::size_t{1} << sub_bits) + static_cast<std::size_t>(sub);
    return std::min(i, bucket_count - 1);
}

std::uint64_t histogram::highest_equivalent(std::size_t index) noexcept
{
    if (index < linear_limit)
        return index;
    std::size_t k = index - linear_limit;
    unsigned shift = static_cast<unsigned>(k >> sub_bits) + 1;
    std::uint64_t sub = (k & ((1u << sub_bits) - 1)) + (1u << sub_bits);
    return ((sub + 1) << shift) - 1;
}

void histogram::record(std::uint64_t value) noexcept
{
    ++counts_[index_of(value)];
    ++total_;
    min_ = std::min(min_, value);
    max_ = std::max(max_, value);
    sum_ += static_cast<long double>(value);
}

void histogram::merge(const histogram& other) noexcept
{
    for (std::size_t i = 0; i < counts_.size(); ++i)
        counts_[i] += other.counts_[i];
    total_ += other.total_;
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
    sum_ += other.sum_;
}

void histogram::reset() noexcept
{
    std::fill(counts_.begin(), counts_.end(), 0);
    total_ = 0;
    min_ = UINT64_MAX;
    max_ = 0;
    sum_ = 0;
}

double histogram::mean() const noexcept
{
    return total_ ? static_cast<double>(sum_ / static_cast<long double>(total_)) : 0.0;
}

std::uint64_t histogram::percentile(double p) const noexcept
{
    if (total_ == 0)
        return 0;
    p = std::clamp(p, 0.0, 100.0);
    auto rank = static_cast<std::uint64_t>(std::ceil(p / 100.0 * static_cast<double>(total_)));
    rank = std::clamp<std::uint64_t>(rank, 1, total_);
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i)
    {
        seen += counts_[i];
        if (seen >= rank) // the last bucket also holds the values past the range
            return i + 1 == counts_.size() ? max_ : std::min(highest_equivalent(i), max_);
    }
    return max_;
}
} // namespace bench
