#include "rpcplugin/grpc/status.hpp"

#include <doctest/doctest.h>

#include <sstream>
#include <string>

namespace grpc = rpcplugin::grpc;

TEST_SUITE("grpc")
{
    TEST_CASE("status codes have their upper-case gRPC names")
    {
        CHECK(grpc::to_string(grpc::status_code::ok) == "OK");
        CHECK(grpc::to_string(grpc::status_code::cancelled) == "CANCELLED");
        CHECK(grpc::to_string(grpc::status_code::unknown) == "UNKNOWN");
        CHECK(grpc::to_string(grpc::status_code::invalid_argument) == "INVALID_ARGUMENT");
        CHECK(grpc::to_string(grpc::status_code::deadline_exceeded) == "DEADLINE_EXCEEDED");
        CHECK(grpc::to_string(grpc::status_code::not_found) == "NOT_FOUND");
        CHECK(grpc::to_string(grpc::status_code::already_exists) == "ALREADY_EXISTS");
        CHECK(grpc::to_string(grpc::status_code::permission_denied) == "PERMISSION_DENIED");
        CHECK(grpc::to_string(grpc::status_code::resource_exhausted) == "RESOURCE_EXHAUSTED");
        CHECK(grpc::to_string(grpc::status_code::failed_precondition) == "FAILED_PRECONDITION");
        CHECK(grpc::to_string(grpc::status_code::aborted) == "ABORTED");
        CHECK(grpc::to_string(grpc::status_code::out_of_range) == "OUT_OF_RANGE");
        CHECK(grpc::to_string(grpc::status_code::unimplemented) == "UNIMPLEMENTED");
        CHECK(grpc::to_string(grpc::status_code::internal) == "INTERNAL");
        CHECK(grpc::to_string(grpc::status_code::unavailable) == "UNAVAILABLE");
        CHECK(grpc::to_string(grpc::status_code::data_loss) == "DATA_LOSS");
        CHECK(grpc::to_string(grpc::status_code::unauthenticated) == "UNAUTHENTICATED");
        CHECK(grpc::to_string(static_cast<grpc::status_code>(17)) == "UNKNOWN_CODE");
        CHECK(grpc::to_string(static_cast<grpc::status_code>(-1)) == "UNKNOWN_CODE");
    }

    TEST_CASE("status codes keep their wire values")
    {
        CHECK(static_cast<int>(grpc::status_code::ok) == 0);
        CHECK(static_cast<int>(grpc::status_code::deadline_exceeded) == 4);
        CHECK(static_cast<int>(grpc::status_code::resource_exhausted) == 8);
        CHECK(static_cast<int>(grpc::status_code::unimplemented) == 12);
        CHECK(static_cast<int>(grpc::status_code::unavailable) == 14);
        CHECK(static_cast<int>(grpc::status_code::data_loss) == 15);
        CHECK(static_cast<int>(grpc::status_code::unauthenticated) == 16);
    }

    TEST_CASE("status_code_from_int maps out-of-range values to unknown")
    {
        for (long v = 0; v <= 16; ++v)
        {
            CHECK(static_cast<long>(grpc::status_code_from_int(v)) == v);
        }
        CHECK(grpc::status_code_from_int(-1) == grpc::status_code::unknown);
        CHECK(grpc::status_code_from_int(17) == grpc::status_code::unknown);
        CHECK(grpc::status_code_from_int(1L << 40) == grpc::status_code::unknown);
    }

    TEST_CASE("a default status is OK with an empty message")
    {
        const grpc::status s;
        CHECK(s.ok());
        CHECK(s.code() == grpc::status_code::ok);
        CHECK(s.message().empty());
        CHECK(s == grpc::status(grpc::status_code::ok));
    }

    TEST_CASE("statuses compare by code and message")
    {
        const grpc::status a(grpc::status_code::not_found, "no such key");
        CHECK_FALSE(a.ok());
        CHECK(a.code() == grpc::status_code::not_found);
        CHECK(a.message() == "no such key");
        CHECK(a == grpc::status(grpc::status_code::not_found, "no such key"));
        CHECK_FALSE(a == grpc::status(grpc::status_code::not_found, "other"));
        CHECK_FALSE(a == grpc::status(grpc::status_code::internal, "no such key"));
    }

    TEST_CASE("statuses and codes print readably")
    {
        std::ostringstream code_out;
        code_out << grpc::status_code::permission_denied;
        CHECK(code_out.str() == "PERMISSION_DENIED");

        std::ostringstream ok_out;
        ok_out << grpc::status{};
        CHECK(ok_out.str() == "OK");

        std::ostringstream error_out;
        error_out << grpc::status(grpc::status_code::unavailable, "draining");
        CHECK(error_out.str() == "UNAVAILABLE: draining");
    }
}
