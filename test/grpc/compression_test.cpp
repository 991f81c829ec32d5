#include "rpcplugin/grpc/compression.hpp"

#include "rpcplugin/grpc/error.hpp"

#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace grpc = rpcplugin::grpc;

namespace
{

std::span<const unsigned char> as_bytes(const std::string& s)
{
    return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

std::string sample_text()
{
    std::string out;
    for (int i = 0; i < 2000; ++i)
    {
        out += "the quick brown fox jumps over the lazy dog " + std::to_string(i) + "\n";
    }
    return out;
}

std::string random_bytes(std::size_t size)
{
    std::string out(size, '\0');
    std::uint32_t state = 12345;
    for (char& c : out)
    {
        state = state * 1664525u + 1013904223u;
        c = static_cast<char>(state >> 24);
    }
    return out;
}

} // namespace

TEST_SUITE("grpc")
{
    TEST_CASE("encoding names parse and print")
    {
        CHECK(grpc::parse_encoding("identity") == grpc::encoding::identity);
        CHECK(grpc::parse_encoding("gzip") == grpc::encoding::gzip);
        CHECK(grpc::parse_encoding("deflate") == grpc::encoding::deflate);
        CHECK(grpc::parse_encoding("GZip") == grpc::encoding::gzip);
        CHECK_FALSE(grpc::parse_encoding("snappy").has_value());
        CHECK_FALSE(grpc::parse_encoding("").has_value());
        CHECK_FALSE(grpc::parse_encoding("gzip ").has_value());
        CHECK(grpc::to_string(grpc::encoding::identity) == "identity");
        CHECK(grpc::to_string(grpc::encoding::gzip) == "gzip");
        CHECK(grpc::to_string(grpc::encoding::deflate) == "deflate");
        CHECK(grpc::accept_encoding_header() == "identity,gzip,deflate");
    }

    TEST_CASE("accepts parses a comma-separated list with optional spaces")
    {
        CHECK(grpc::accepts("identity,gzip,deflate", grpc::encoding::gzip));
        CHECK(grpc::accepts("identity, deflate ,gzip", grpc::encoding::gzip));
        CHECK(grpc::accepts(" gzip ", grpc::encoding::gzip));
        CHECK(grpc::accepts("deflate,\tGZIP", grpc::encoding::gzip));
        CHECK(grpc::accepts("gzip;q=1", grpc::encoding::gzip));
        CHECK(grpc::accepts("identity,deflate", grpc::encoding::deflate));
        CHECK_FALSE(grpc::accepts("identity,deflate", grpc::encoding::gzip));
        CHECK_FALSE(grpc::accepts("", grpc::encoding::gzip));
        CHECK_FALSE(grpc::accepts("gzipx,xgzip,g zip", grpc::encoding::gzip));
        CHECK_FALSE(grpc::accepts(",,", grpc::encoding::deflate));
        CHECK(grpc::accepts("", grpc::encoding::identity));
        CHECK(grpc::accepts("gzip", grpc::encoding::identity));
    }

    TEST_CASE("gzip and deflate round-trip text, random bytes and empty input")
    {
        for (const grpc::encoding e : {grpc::encoding::gzip, grpc::encoding::deflate})
        {
            CAPTURE(grpc::to_string(e));
            for (const std::string& input :
                 {sample_text(), random_bytes(100'000), std::string(), std::string("x")})
            {
                const auto packed = grpc::compress(e, as_bytes(input));
                REQUIRE(packed.has_value());
                const auto unpacked = grpc::decompress(e, as_bytes(*packed), input.size());
                REQUIRE(unpacked.has_value());
                CHECK(*unpacked == input);
            }
            const auto packed = grpc::compress(e, as_bytes(sample_text()));
            REQUIRE(packed.has_value());
            CHECK(packed->size() < sample_text().size() / 4);
        }
    }

    TEST_CASE("gzip and deflate use the gzip and zlib wire formats")
    {
        const std::string input = sample_text();
        const auto gz = grpc::compress(grpc::encoding::gzip, as_bytes(input));
        REQUIRE(gz.has_value());
        REQUIRE(gz->size() > 2);
        CHECK(static_cast<unsigned char>((*gz)[0]) == 0x1f);
        CHECK(static_cast<unsigned char>((*gz)[1]) == 0x8b);

        const auto zl = grpc::compress(grpc::encoding::deflate, as_bytes(input));
        REQUIRE(zl.has_value());
        REQUIRE(zl->size() > 2);
        CHECK(static_cast<unsigned char>((*zl)[0]) == 0x78);
        const unsigned header =
            (static_cast<unsigned char>((*zl)[0]) << 8) | static_cast<unsigned char>((*zl)[1]);
        CHECK(header % 31 == 0);

        // Each is rejected by the other's decoder.
        CHECK(grpc::decompress(grpc::encoding::deflate, as_bytes(*gz), input.size()).error() ==
              grpc::errc::bad_compression);
        CHECK(grpc::decompress(grpc::encoding::gzip, as_bytes(*zl), input.size()).error() ==
              grpc::errc::bad_compression);
    }

    TEST_CASE("identity copies and still honours the maximum size")
    {
        const std::string input = "plain bytes";
        const auto packed = grpc::compress(grpc::encoding::identity, as_bytes(input));
        REQUIRE(packed.has_value());
        CHECK(*packed == input);
        const auto same = grpc::decompress(grpc::encoding::identity, as_bytes(input), 11);
        REQUIRE(same.has_value());
        CHECK(*same == input);
        CHECK(grpc::decompress(grpc::encoding::identity, as_bytes(input), 10).error() ==
              grpc::errc::decompressed_too_large);
    }

    TEST_CASE("a 10 MiB zero buffer decompressed with a 4 MiB limit is too large")
    {
        const std::string zeros(10u * 1024 * 1024, '\0');
        for (const grpc::encoding e : {grpc::encoding::gzip, grpc::encoding::deflate})
        {
            CAPTURE(grpc::to_string(e));
            const auto packed = grpc::compress(e, as_bytes(zeros));
            REQUIRE(packed.has_value());
            CHECK(packed->size() < 64u * 1024);
            const auto limited = grpc::decompress(e, as_bytes(*packed), 4u * 1024 * 1024);
            REQUIRE(limited.has_error());
            CHECK(limited.error() == grpc::errc::decompressed_too_large);
            const auto full = grpc::decompress(e, as_bytes(*packed), zeros.size());
            REQUIRE(full.has_value());
            CHECK(*full == zeros);
        }
    }

    TEST_CASE("the size limit is exact")
    {
        const std::string input = sample_text();
        for (const grpc::encoding e : {grpc::encoding::gzip, grpc::encoding::deflate})
        {
            const auto packed = grpc::compress(e, as_bytes(input));
            REQUIRE(packed.has_value());
            CHECK(grpc::decompress(e, as_bytes(*packed), input.size()).has_value());
            CHECK(grpc::decompress(e, as_bytes(*packed), input.size() - 1).error() ==
                  grpc::errc::decompressed_too_large);
            CHECK(grpc::decompress(e, as_bytes(*packed), 0).error() ==
                  grpc::errc::decompressed_too_large);
        }
        const auto empty = grpc::compress(grpc::encoding::gzip, as_bytes(std::string()));
        REQUIRE(empty.has_value());
        CHECK(grpc::decompress(grpc::encoding::gzip, as_bytes(*empty), 0).has_value());
    }

    TEST_CASE("corrupt, truncated or padded compressed input is a compression error")
    {
        const std::string input = sample_text();
        for (const grpc::encoding e : {grpc::encoding::gzip, grpc::encoding::deflate})
        {
            CAPTURE(grpc::to_string(e));
            const auto packed = grpc::compress(e, as_bytes(input));
            REQUIRE(packed.has_value());

            const std::string garbage = "this is not compressed at all";
            CHECK(grpc::decompress(e, as_bytes(garbage), 1 << 20).error() ==
                  grpc::errc::bad_compression);
            CHECK(grpc::decompress(e, {}, 1 << 20).error() == grpc::errc::bad_compression);

            const std::string truncated = packed->substr(0, packed->size() / 2);
            CHECK(grpc::decompress(e, as_bytes(truncated), 1 << 20).error() ==
                  grpc::errc::bad_compression);

            const std::string no_trailer = packed->substr(0, packed->size() - 1);
            CHECK(grpc::decompress(e, as_bytes(no_trailer), 1 << 20).error() ==
                  grpc::errc::bad_compression);

            std::string flipped = *packed;
            flipped[flipped.size() - 2] = static_cast<char>(flipped[flipped.size() - 2] ^ 0x55);
            CHECK(grpc::decompress(e, as_bytes(flipped), 1 << 20).error() ==
                  grpc::errc::bad_compression);

            const std::string trailing = *packed + "extra";
            CHECK(grpc::decompress(e, as_bytes(trailing), 1 << 20).error() ==
                  grpc::errc::bad_compression);
        }
    }
}
