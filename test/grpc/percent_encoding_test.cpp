#include "rpcplugin/grpc/percent_encoding.hpp"

#include <doctest/doctest.h>

#include <string>

namespace grpc = rpcplugin::grpc;

TEST_SUITE("grpc")
{
    TEST_CASE("percent_encode leaves printable ASCII other than percent (and end spaces) unchanged")
    {
        const std::string printable = "! \"#$&'()*+,-./0123456789:;<=>?@ABCXYZ[\\]^_`abcxyz{|}~";
        CHECK(grpc::percent_encode(printable) == printable);
        CHECK(grpc::percent_encode("") == "");
    }

    TEST_CASE("percent_encode escapes percent, control bytes and non-ASCII in upper-case hex")
    {
        CHECK(grpc::percent_encode("%") == "%25");
        CHECK(grpc::percent_encode("100%") == "100%25");
        CHECK(grpc::percent_encode(std::string("\0", 1)) == "%00");
        CHECK(grpc::percent_encode("\x1f\x7f\xff") == "%1F%7F%FF");
        CHECK(grpc::percent_encode("\xc3\xa9") == "%C3%A9");
    }

    // Found by test/fuzz (fuzz_connection): a message beginning with a space went out as a
    // grpc-message value beginning with a space, which the client must treat as malformed.
    TEST_CASE("percent_encode escapes a space at either end: an HTTP/2 field value must not "
              "start or end with whitespace (RFC 9113 8.2.1)")
    {
        CHECK(grpc::percent_encode(" ") == "%20");
        CHECK(grpc::percent_encode("  ") == "%20%20");
        CHECK(grpc::percent_encode(" a") == "%20a");
        CHECK(grpc::percent_encode("a ") == "a%20");
        CHECK(grpc::percent_encode(" a b ") == "%20a b%20");
        CHECK(grpc::percent_encode("a  b") == "a  b");
        CHECK(grpc::percent_encode(" Unicode \xe2\x98\xba") == "%20Unicode %E2%98%BA");
        for (const std::string m : {" ", " x", "x ", "\t x \t", " 100% "})
        {
            const std::string e = grpc::percent_encode(m);
            REQUIRE_FALSE(e.empty());
            CHECK(e.front() != ' ');
            CHECK(e.back() != ' ');
            CHECK(grpc::percent_decode(e) == m);
        }
    }

    TEST_CASE("the interop special status message round-trips")
    {
        const std::string message =
            "\t\ntest with whitespace\r\nand Unicode BMP \xe2\x98\xba and non-BMP "
            "\xf0\x9f\x98\x88\t\n";
        const std::string encoded = grpc::percent_encode(message);
        CHECK(encoded == "%09%0Atest with whitespace%0D%0Aand Unicode BMP %E2%98%BA and non-BMP "
                         "%F0%9F%98%88%09%0A");
        for (const char c : encoded)
        {
            CHECK((c >= 0x20 && c <= 0x7E));
        }
        CHECK(grpc::percent_decode(encoded) == message);
    }

    TEST_CASE("percent_decode accepts lower-case hex")
    {
        CHECK(grpc::percent_decode("%c3%A9") == "\xc3\xa9");
        CHECK(grpc::percent_decode("a%2fb") == "a/b");
    }

    TEST_CASE("percent_decode keeps malformed sequences literally")
    {
        CHECK(grpc::percent_decode("%") == "%");
        CHECK(grpc::percent_decode("50%") == "50%");
        CHECK(grpc::percent_decode("%4") == "%4");
        CHECK(grpc::percent_decode("%G1") == "%G1");
        CHECK(grpc::percent_decode("%1G") == "%1G");
        CHECK(grpc::percent_decode("%%41") == "%A");
        CHECK(grpc::percent_decode("100% sure %41") == "100% sure A");
    }

    TEST_CASE("every byte value round-trips through percent encoding")
    {
        std::string all;
        for (int i = 0; i < 256; ++i)
        {
            all.push_back(static_cast<char>(i));
        }
        CHECK(grpc::percent_decode(grpc::percent_encode(all)) == all);
    }
}
