#include "rpcplugin/grpc/metadata.hpp"

#include "rpcplugin/grpc/error.hpp"

#include <doctest/doctest.h>

#include <string>

namespace grpc = rpcplugin::grpc;

TEST_SUITE("grpc")
{
    TEST_CASE("metadata keys allow only digits, lower-case letters, underscore, dash and dot")
    {
        CHECK(grpc::is_valid_key("x-request-id"));
        CHECK(grpc::is_valid_key("trace.id_0-9"));
        CHECK(grpc::is_valid_key("a"));
        CHECK(grpc::is_valid_key("payload-bin"));
        CHECK_FALSE(grpc::is_valid_key(""));
        CHECK_FALSE(grpc::is_valid_key("X-Request-Id"));
        CHECK_FALSE(grpc::is_valid_key("Authorization"));
        CHECK_FALSE(grpc::is_valid_key("key with space"));
        CHECK_FALSE(grpc::is_valid_key("key:colon"));
        CHECK_FALSE(grpc::is_valid_key(":path"));
        CHECK_FALSE(grpc::is_valid_key("caf\xc3\xa9"));
    }

    TEST_CASE("binary keys end with -bin")
    {
        CHECK(grpc::is_binary_key("trace-bin"));
        CHECK(grpc::is_binary_key("grpc-status-details-bin"));
        CHECK(grpc::is_binary_key("-bin"));
        CHECK_FALSE(grpc::is_binary_key("bin"));
        CHECK_FALSE(grpc::is_binary_key("trace-bin-x"));
        CHECK_FALSE(grpc::is_binary_key("trace_bin"));
    }

    TEST_CASE("ASCII metadata values must be printable")
    {
        CHECK(grpc::is_valid_ascii_value(""));
        CHECK(grpc::is_valid_ascii_value(" printable ~ value! "));
        CHECK_FALSE(grpc::is_valid_ascii_value("tab\there"));
        CHECK_FALSE(grpc::is_valid_ascii_value("line\n"));
        CHECK_FALSE(grpc::is_valid_ascii_value("\x7f"));
        CHECK_FALSE(grpc::is_valid_ascii_value("caf\xc3\xa9"));
        CHECK_FALSE(grpc::is_valid_ascii_value(std::string("a\0b", 3)));
    }

    TEST_CASE("transport keys are reserved but grpc-status-details-bin is not")
    {
        CHECK(grpc::is_reserved_key(":path"));
        CHECK(grpc::is_reserved_key(":authority"));
        CHECK(grpc::is_reserved_key("content-type"));
        CHECK(grpc::is_reserved_key("te"));
        CHECK(grpc::is_reserved_key("grpc-timeout"));
        CHECK(grpc::is_reserved_key("grpc-encoding"));
        CHECK(grpc::is_reserved_key("grpc-accept-encoding"));
        CHECK(grpc::is_reserved_key("grpc-status"));
        CHECK(grpc::is_reserved_key("grpc-message"));
        CHECK(grpc::is_reserved_key("grpc-previous-rpc-attempts"));
        CHECK_FALSE(grpc::is_reserved_key("grpc-status-details-bin"));
        CHECK_FALSE(grpc::is_reserved_key("x-grpc-thing"));
        CHECK_FALSE(grpc::is_reserved_key("user-agent"));
        CHECK_FALSE(grpc::is_reserved_key("tea"));
        CHECK_FALSE(grpc::is_reserved_key("content-length-x"));
    }

    TEST_CASE("find returns the first matching value or nullptr")
    {
        const grpc::metadata md{{"a", "1"}, {"b", "2"}, {"a", "3"}};
        const std::string* a = grpc::find(md, "a");
        REQUIRE(a != nullptr);
        CHECK(*a == "1");
        const std::string* b = grpc::find(md, "b");
        REQUIRE(b != nullptr);
        CHECK(*b == "2");
        CHECK(grpc::find(md, "c") == nullptr);
        CHECK(grpc::find(grpc::metadata{}, "a") == nullptr);
    }

    TEST_CASE("decode_value base64-decodes binary values padded or not")
    {
        const auto unpadded = grpc::decode_value("trace-bin", "AAH/");
        REQUIRE(unpadded.has_value());
        CHECK(*unpadded == std::string("\x00\x01\xff", 3));

        const auto padded = grpc::decode_value("trace-bin", "Zg==");
        REQUIRE(padded.has_value());
        CHECK(*padded == "f");

        const auto raw = grpc::decode_value("trace-bin", "Zg");
        REQUIRE(raw.has_value());
        CHECK(*raw == "f");

        const auto bad = grpc::decode_value("trace-bin", "Zg!");
        REQUIRE(bad.has_error());
        CHECK(bad.error() == grpc::errc::bad_metadata_value);
    }

    TEST_CASE("decode_value validates ASCII values")
    {
        const auto good = grpc::decode_value("x-id", "abc 123");
        REQUIRE(good.has_value());
        CHECK(*good == "abc 123");

        const auto bad = grpc::decode_value("x-id", "abc\r\n");
        REQUIRE(bad.has_error());
        CHECK(bad.error() == grpc::errc::bad_metadata_value);
    }

    TEST_CASE("encode_value uses unpadded base64 for binary keys only")
    {
        CHECK(grpc::encode_value("trace-bin", "f") == "Zg");
        CHECK(grpc::encode_value("trace-bin", std::string("\x00\x01\xff", 3)) == "AAH/");
        CHECK(grpc::encode_value("x-id", "f") == "f");

        const std::string bytes("\x00\xfe\x10\x7f\x80", 5);
        const auto back = grpc::decode_value("x-bin", grpc::encode_value("x-bin", bytes));
        REQUIRE(back.has_value());
        CHECK(*back == bytes);
    }
}
