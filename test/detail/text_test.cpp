#include "rpcplugin/detail/text.hpp"
#include "rpcplugin/grpc/method.hpp"

#include <doctest/doctest.h>

using rpcplugin::detail::trim;

TEST_SUITE("detail")
{
    TEST_CASE("trim drops ASCII whitespace, or the given characters, at both ends")
    {
        CHECK(trim("") == "");
        CHECK(trim(" \t\n\v\f\r") == "");
        CHECK(trim("  a b \n") == "a b");
        CHECK(trim("\ngzip\t", " \t") == "\ngzip");
        CHECK(trim("x") == "x");
    }

    TEST_CASE("split_method_path splits /package.Service/Method")
    {
        auto p = rpcplugin::grpc::split_method_path("/pkg.Svc/Method");
        REQUIRE(p.has_value());
        CHECK(p->service == "pkg.Svc");
        CHECK(p->method == "Method");
        p = rpcplugin::grpc::split_method_path("pkg.Svc/M/x");
        REQUIRE(p.has_value());
        CHECK(p->service == "pkg.Svc");
        CHECK(p->method == "M/x");
        CHECK_FALSE(rpcplugin::grpc::split_method_path("/pkg.Svc").has_value());
        CHECK_FALSE(rpcplugin::grpc::split_method_path("").has_value());
    }
}
