#include "rpcplugin/stage/token_bucket.hpp"

#include <algorithm>
#include <cmath>

namespace rpcplugin::stage
{
token_bucket::token_bucket(double rate, double capacity, clock::time_point now) noexcept
    : rate_(rate)
    , capacity_(std::max(capacity, 1.0))
    , tokens_(capacity_)
    , last_(now)
{
}

void token_bucket::refill(clock::time_point now) noexcept
{
    if (now <= last_)
        return; // a clock read on another thread may be a little older
    std::chrono::duration<double> elapsed = now - last_;
    tokens_ = std::min(capacity_, tokens_ + elapsed.count() * rate_);
    last_ = now;
}

bool token_bucket::try_take(clock::time_point now) noexcept
{
    refill(now);
    if (tokens_ < 1.0)
        return false;
    tokens_ -= 1.0;
    return true;
}

token_bucket::clock::duration token_bucket::time_until_token(clock::time_point now) noexcept
{
    refill(now);
    if (tokens_ >= 1.0)
        return clock::duration::zero();
    std::chrono::duration<double> wait((1.0 - tokens_) / rate_);
    return std::chrono::ceil<clock::duration>(wait);
}

bool token_bucket::full(clock::time_point now) noexcept
{
    refill(now);
    return tokens_ >= capacity_;
}

double token_bucket::tokens(clock::time_point now) noexcept
{
    refill(now);
    return tokens_;
}
} // namespace rpcplugin::stage
