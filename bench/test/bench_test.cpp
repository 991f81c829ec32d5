// Unit tests of rpcplugin-bench's pure parts: the histogram, medians, the handshake check.
#include "histogram.hpp"
#include "report.hpp"
#include "startup.hpp"

#include <doctest/doctest.h>

#include <random>

using bench::histogram;

TEST_CASE("histogram: exact below 256, then within 1/128 of the value")
{
    for (std::uint64_t v = 0; v < 256; ++v)
        CHECK(histogram::highest_equivalent(histogram::index_of(v)) == v);
    std::mt19937_64 rng(42);
    for (int i = 0; i < 100000; ++i)
    {
        std::uint64_t v = rng() >> (rng() % 40 + 22); // spread over many magnitudes
        auto hi = histogram::highest_equivalent(histogram::index_of(v));
        CHECK(hi >= v);
        CHECK(double(hi - v) <= double(v) / 128.0 + 1);
    }
    // Buckets are contiguous: the next value after a bucket's highest is in the next bucket.
    for (std::size_t i = 0; i < 4000; ++i)
        CHECK(histogram::index_of(histogram::highest_equivalent(i) + 1) == i + 1);
}

TEST_CASE("histogram: percentiles of a known distribution")
{
    histogram h;
    CHECK(h.percentile(50) == 0);
    for (std::uint64_t v = 1; v <= 10000; ++v)
        h.record(v * 1000); // 1 us .. 10 ms
    CHECK(h.count() == 10000);
    CHECK(h.min() == 1000);
    CHECK(h.max() == 10000000);
    CHECK(h.mean() == doctest::Approx(5000500.0));
    auto near = [](std::uint64_t got, double want)
    { return double(got) >= want && double(got) <= want * 1.008 + 1; };
    CHECK(near(h.percentile(50), 5000000));
    CHECK(near(h.percentile(90), 9000000));
    CHECK(near(h.percentile(99), 9900000));
    CHECK(near(h.percentile(99.9), 9990000));
    CHECK(h.percentile(100) == 10000000);

    histogram g;
    g.record(20000000);
    h.merge(g);
    CHECK(h.count() == 10001);
    CHECK(h.max() == 20000000);
    h.reset();
    CHECK(h.count() == 0);
    CHECK(h.percentile(99) == 0);
}

TEST_CASE("histogram: values past the range land in the last bucket")
{
    histogram h;
    h.record(UINT64_MAX / 2);
    CHECK(h.count() == 1);
    CHECK(h.percentile(50) == UINT64_MAX / 2); // capped at the exact maximum
}

TEST_CASE("median")
{
    CHECK(bench::median({}) == 0);
    CHECK(bench::median({3, 1, 2}) == 2);
    CHECK(bench::median({4, 1, 3, 2}) == 2.5);
}

TEST_CASE("go-plugin handshake lines")
{
    CHECK(bench::is_handshake_line("1|1|unix|/tmp/plugin123|grpc|"));
    CHECK(bench::is_handshake_line("1|5|tcp|127.0.0.1:10000|grpc|MIIB..."));
    CHECK_FALSE(bench::is_handshake_line("READY unix:/tmp/x"));
    CHECK_FALSE(bench::is_handshake_line("1|1|udp|x|grpc"));
    CHECK_FALSE(bench::is_handshake_line("1|x|unix|/p|grpc"));
    CHECK_FALSE(bench::is_handshake_line("1|1|unix||grpc"));
}
