// cty types and their JSON form.
#include <rpcplugin/terraform/type.hpp>

#include <doctest/doctest.h>

namespace rpcplugin::terraform
{

TEST_CASE("type JSON: written as go-cty writes it and read back")
{
    CHECK(type::string().json() == "\"string\"");
    CHECK(type::number().json() == "\"number\"");
    CHECK(type::boolean().json() == "\"bool\"");
    CHECK(type::dynamic().json() == "\"dynamic\"");
    CHECK(type::list(type::number()).json() == "[\"list\",\"number\"]");
    CHECK(type::set(type::map(type::boolean())).json() == "[\"set\",[\"map\",\"bool\"]]");
    auto obj = type::object({{"zeta", type::string()}, {"alpha", type::number()}}, {"zeta"});
    CHECK(obj.json() == "[\"object\",{\"alpha\":\"number\",\"zeta\":\"string\"},[\"zeta\"]]");
    CHECK(type::object({}).json() == "[\"object\",{}]");
    CHECK(type::tuple({type::string(), type::dynamic()}).json() ==
          "[\"tuple\",[\"string\",\"dynamic\"]]");
    CHECK(type::tuple({}).json() == "[\"tuple\",[]]");
    // Go's encoding/json escapes <, > and & in names.
    CHECK(type::object({{"a<b", type::string()}}).json() ==
          "[\"object\",{\"a\\u003cb\":\"string\"}]");

    for (const type& t : {type::string(), type::list(type::number()), obj, type::tuple({}),
                          type::map(type::object({{"x", type::set(type::dynamic())}}))})
    {
        auto back = parse_type_json(t.json());
        REQUIRE(back.has_value());
        CHECK(*back == t);
    }
}

TEST_CASE("type JSON: optional markers and the wire type")
{
    auto t = parse_type_json(R"(["object",{"a":"string","b":["list","number"]},["b"]])");
    REQUIRE(t.has_value());
    CHECK(t->find("b")->optional);
    CHECK(!t->find("a")->optional);
    CHECK(t->without_optional().json() == R"(["object",{"a":"string","b":["list","number"]}])");
    CHECK(conforms(t->without_optional(), *t));
    CHECK(!(t->without_optional() == *t));
}

TEST_CASE("type JSON: anything outside the grammar is an error")
{
    for (const char* bad : {"", "\"str\"", "42", "[]", "[\"list\"]", "[\"list\",\"string\",1]",
                            "[\"wat\",\"string\"]", "[\"object\",[]]", "[\"tuple\",{}]",
                            "[\"object\",{},[\"missing\"]]", "\"string\" x", "[\"object\",{},[1]]",
                            "{\"a\":1}", "[\"list\",\"string\"", "[\"object\",{},[],1]"})
        CHECK_MESSAGE(!parse_type_json(bad).has_value(), bad);
    std::string deep;
    for (int i = 0; i < 100; ++i)
        deep += "[\"list\",";
    deep += "\"string\"";
    for (int i = 0; i < 100; ++i)
        deep += "]";
    CHECK(!parse_type_json(deep).has_value());
    CHECK(parse_type_json(deep, 200).has_value());
}

TEST_CASE("type: conformance treats dynamic as anything")
{
    CHECK(conforms(type::string(), type::dynamic()));
    CHECK(conforms(type::list(type::number()), type::list(type::dynamic())));
    CHECK(!conforms(type::list(type::number()), type::set(type::number())));
    CHECK(!conforms(type::object({{"a", type::string()}}), type::object({{"b", type::string()}})));
    CHECK(type::map(type::object({{"a", type::dynamic()}})).has_dynamic());
    CHECK(!type::map(type::string()).has_dynamic());
}

} // namespace rpcplugin::terraform
