#pragma once

/**
 * @file
 * A log-linear latency histogram in the style of HdrHistogram: exact below 256, then 128
 * linear sub-buckets per power of two, so every recorded value is kept within 1/128
 * (0.8%) of its true value, from 1 ns to about 73 minutes, in 38 KiB of counters.
 */

#include <cstddef>
#include <cstdint>
#include <vector>

namespace bench
{
class histogram
{
public:
    histogram();

    /** Records one value (nanoseconds); values past the range count as the maximum. */
    void record(std::uint64_t value) noexcept;
    /** Adds every count of `other`. */
    void merge(const histogram& other) noexcept;
    /** Forgets every value. */
    void reset() noexcept;

    /** Number of values recorded. */
    std::uint64_t count() const noexcept { return total_; }
    /** Smallest and largest exact values recorded (0 when empty). */
    std::uint64_t min() const noexcept { return total_ ? min_ : 0; }
    std::uint64_t max() const noexcept { return max_; }
    /** Arithmetic mean of the exact values (0 when empty). */
    double mean() const noexcept;

    /**
     * The value at percentile `p` (0 < p <= 100): the highest value equivalent to the
     * bucket holding the ceil(p% * count)-th smallest value, as HdrHistogram reports it
     * (so never below the true value, at most 0.8% above). 0 when empty.
     */
    std::uint64_t percentile(double p) const noexcept;

    /** Index of the bucket `value` falls in (exposed for tests). */
    static std::size_t index_of(std::uint64_t value) noexcept;
    /** Largest value that falls in bucket `index`. */
    static std::uint64_t highest_equivalent(std::size_t index) noexcept;

private:
    std::vector<std::uint64_t> counts_;
    std::uint64_t total_ = 0;
    std::uint64_t min_ = UINT64_MAX;
    std::uint64_t max_ = 0;
    long double sum_ = 0;
};
} // namespace bench
