#include "rpcplugin/grpc/error.hpp"

#include <doctest/doctest.h>

#include <string>

namespace grpc = rpcplugin::grpc;

TEST_SUITE("grpc")
{
    TEST_CASE("grpc errc converts to an error code of the rpcplugin.grpc category")
    {
        const boost::system::error_code ec = grpc::errc::message_too_large;
        CHECK(ec);
        CHECK(ec.category() == grpc::grpc_category());
        CHECK(std::string(ec.category().name()) == "rpcplugin.grpc");
        CHECK(ec == grpc::errc::message_too_large);
        CHECK(ec != grpc::errc::bad_timeout);
        CHECK(ec.value() == 1);
    }

    TEST_CASE("every grpc errc has its own non-empty message")
    {
        const grpc::errc all[] = {
            grpc::errc::message_too_large,    grpc::errc::bad_timeout,
            grpc::errc::bad_base64,           grpc::errc::bad_compression,
            grpc::errc::unsupported_encoding, grpc::errc::decompressed_too_large,
            grpc::errc::bad_metadata_key,     grpc::errc::bad_metadata_value,
        };
        std::string previous;
        for (const grpc::errc e : all)
        {
            const std::string message = make_error_code(e).message();
            CHECK_FALSE(message.empty());
            CHECK(message != previous);
            CHECK(message.find("Unknown") == std::string::npos);
            previous = message;
        }
        CHECK(grpc::grpc_category().message(0) == "Unknown rpcplugin.grpc error.");
    }
}
