#include "rpcplugin/codec/base64.hpp"

#include <doctest/doctest.h>

#include <string>
#include <string_view>

namespace codec = rpcplugin::codec;

namespace
{

struct rfc_vector
{
    std::string_view plain;
    std::string_view padded;
    std::string_view unpadded;
};

// RFC 4648 section 10.
constexpr rfc_vector rfc4648[] = {
    {"", "", ""},
    {"f", "Zg==", "Zg"},
    {"fo", "Zm8=", "Zm8"},
    {"foo", "Zm9v", "Zm9v"},
    {"foob", "Zm9vYg==", "Zm9vYg"},
    {"fooba", "Zm9vYmE=", "Zm9vYmE"},
    {"foobar", "Zm9vYmFy", "Zm9vYmFy"},
};

bool rejected(std::string_view text)
{
    const auto r = codec::base64_decode(text);
    return !r.has_value();
}

} // namespace

TEST_SUITE("codec")
{
    TEST_CASE("base64_encode produces the RFC 4648 vectors, padded and unpadded")
    {
        for (const rfc_vector& v : rfc4648)
        {
            CAPTURE(v.plain);
            CHECK(codec::base64_encode(v.plain) == v.padded);
            CHECK(codec::base64_encode(v.plain, false) == v.unpadded);
        }
    }

    TEST_CASE("base64_decode accepts the RFC 4648 vectors, padded and unpadded")
    {
        for (const rfc_vector& v : rfc4648)
        {
            CAPTURE(v.padded);
            const auto padded = codec::base64_decode(v.padded);
            REQUIRE(padded.has_value());
            CHECK(*padded == v.plain);
            const auto unpadded = codec::base64_decode(v.unpadded);
            REQUIRE(unpadded.has_value());
            CHECK(*unpadded == v.plain);
        }
    }

    TEST_CASE("base64_decode rejects characters outside the standard alphabet")
    {
        CHECK(rejected("Zm9v!"));
        CHECK(rejected("Zm 9v"));
        CHECK(rejected("Zm9v\n"));
        CHECK(rejected("Zm-_"));
        CHECK(rejected("Zm9\x80"));
        CHECK(rejected(std::string_view("Zm\0v", 4)));
        CHECK(rejected("Z=9v"));
        CHECK(rejected("=m9v"));
    }

    TEST_CASE("base64_decode rejects invalid lengths and padding")
    {
        CHECK(rejected("Z"));
        CHECK(rejected("Zm9vY"));
        CHECK(rejected("="));
        CHECK(rejected("Zg="));
        CHECK(rejected("Zg==="));
        CHECK(rejected("Z==="));
        CHECK(rejected("===="));
        CHECK(rejected("Zg==Zg=="));
    }

    TEST_CASE("all 256 byte values round-trip through base64")
    {
        std::string all;
        for (int i = 0; i < 256; ++i)
        {
            all.push_back(static_cast<char>(i));
        }
        for (std::size_t length = 0; length <= all.size(); ++length)
        {
            const std::string_view bytes(all.data() + (256 - length), length);
            for (const bool pad : {true, false})
            {
                const auto back = codec::base64_decode(codec::base64_encode(bytes, pad));
                REQUIRE(back.has_value());
                CHECK(*back == bytes);
            }
        }
    }
}
