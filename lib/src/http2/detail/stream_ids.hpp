#pragma once

/**
 * @file
 * Which stream ids the client used, to tell a HEADERS on a lower, never-opened id (a
 * connection error, RFC 9113 §5.1.1) from a late frame on a stream that was closed.
 */

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <deque>

namespace rpcplugin::http2::detail
{
/**
 * The client-initiated (odd) stream ids of a connection: the highest one used, and the
 * ids skipped below it (kept as ranges; at most `max_gaps` ranges, the oldest forgotten
 * first, so memory stays bounded whatever the client does).
 *
 * A pure state machine. Not thread-safe.
 */
class stream_ids
{
public:
    explicit stream_ids(std::size_t max_gaps = 256) noexcept
        : max_gaps_(max_gaps)
    {
    }

    /** The highest stream id a HEADERS used so far (0 before the first). */
    std::int32_t highest() const noexcept { return highest_; }

    /** True when a HEADERS on `id` would open a new stream (above every id seen). */
    bool is_new(std::int32_t id) const noexcept { return id > highest_; }

    /** A HEADERS used `id`, above `highest()`: the odd ids skipped below it are remembered
        as never opened. */
    void use(std::int32_t id)
    {
        if (id <= highest_)
            return;
        std::int32_t first_skipped = highest_ == 0 ? 1 : highest_ + 2;
        std::int32_t last_skipped = id - 2;
        if (first_skipped <= last_skipped && max_gaps_ > 0)
        {
            if (gaps_.size() == max_gaps_)
                gaps_.pop_front();
            gaps_.push_back({first_skipped, last_skipped});
        }
        highest_ = id;
    }

    /** True when `id` is below `highest()` and known never to have been opened. */
    bool never_opened(std::int32_t id) const noexcept
    {
        if (id >= highest_ || id <= 0)
            return false;
        auto it = std::upper_bound(gaps_.begin(), gaps_.end(), id,
                                   [](std::int32_t v, const gap& g) { return v < g.first; });
        if (it == gaps_.begin())
            return false;
        --it;
        return id <= it->last;
    }

    /** Ranges of skipped ids remembered. */
    std::size_t gaps() const noexcept { return gaps_.size(); }

private:
    struct gap
    {
        std::int32_t first;
        std::int32_t last;
    };

    std::size_t max_gaps_;
    std::int32_t highest_ = 0;
    std::deque<gap> gaps_;
};
} // namespace rpcplugin::http2::detail
