// DynamicValue.json and RawState.json: go-cty's JSON form of values.
#include <rpcplugin/terraform/codec.hpp>

#include <doctest/doctest.h>

namespace rpcplugin::terraform
{

namespace
{

std::string enc(const value& v, const type& t)
{
    auto r = to_json(v, t);
    REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().what()));
    return *r;
}

} // namespace

TEST_CASE("json: values are written as go-cty writes them")
{
    auto t = type::object({{"s", type::string()},
                           {"n", type::number()},
                           {"b", type::boolean()},
                           {"l", type::list(type::number())},
                           {"m", type::map(type::string())},
                           {"d", type::dynamic()},
                           {"z", type::string()}});
    auto v =
        value::object(t, {{"s", value::string("a<b>\"\n\x01")},
                          {"n", value::num(*number::parse("1e20"))},
                          {"b", value::boolean(true)},
                          {"l", value::list(type::number(), {value::num(*number::parse("0.1"))})},
                          {"m", value::map(type::string(), {{"k", value::string("v")}})},
                          {"d", value::tuple({value::string("x"), value::integer(2)})}});
    CHECK(enc(v, t) ==
          "{\"b\":true,\"d\":{\"value\":[\"x\",2],\"type\":[\"tuple\",[\"string\",\"number\"]]},"
          "\"l\":[0.1],\"m\":{\"k\":\"v\"},\"n\":100000000000000000000,"
          "\"s\":\"a\\u003cb\\u003e\\\"\\n\\u0001\",\"z\":null}");
}

TEST_CASE("json: unknowns and infinities cannot be written")
{
    auto t = type::object({{"a", type::list(type::string())}});
    auto r = to_json(
        value::object(t, {{"a", value::list(type::string(), {value::unknown(type::string())})}}),
        t);
    REQUIRE(!r.has_value());
    CHECK(r.error().what() == "at .a[0]: value is not known");
    CHECK(!to_json(value::num(number::infinity(false)), type::number()).has_value());
}

TEST_CASE("json: decoding is lenient where go-cty is, exact with numbers")
{
    auto t = type::object({{"id", type::string()},
                           {"size", type::number()},
                           {"on", type::boolean()},
                           {"gone", type::string()}});
    auto v =
        from_json(R"({"id": 12, "size": "123456789012345678901234567890.5", "on": "true"})", t);
    REQUIRE(v.has_value());
    CHECK(v->get("id")->as_string() == "12");
    CHECK(v->get("size")->as_number().text() == "123456789012345678901234567890.5");
    CHECK(v->get("on")->as_bool());
    CHECK(v->get("gone")->is_null()); // missing attributes are null (old state)
    auto d = from_json(R"({"type":"number","value":5})", type::dynamic());
    REQUIRE(d.has_value());
    CHECK(*d == value::integer(5));
}

TEST_CASE("json: bad input is an error naming the attribute path")
{
    auto t = type::object({{"a", type::list(type::object({{"n", type::number()}}))}});
    auto err = [&](std::string_view j)
    {
        auto r = from_json(j, t);
        REQUIRE(!r.has_value());
        return r.error().what();
    };
    CHECK(err(R"({"a":[{"n":true}]})") == "at .a[0].n: number is required");
    CHECK(err(R"({"a":[{"n":1,"x":2}]})") == "at .a[0].x: unsupported attribute \"x\"");
    CHECK(err(R"({"a":{}})") == "at .a: a list is required");
    CHECK(err(R"({"a":[]} x)").find("invalid JSON") == 0);
    CHECK(err(R"({"a":[)").find("invalid JSON") == 0);
    CHECK(err(R"({"a":[{"n":"one"}]})") == "at .a[0].n: a number is required");
}

TEST_CASE("json: round trip through msgpack keeps every value")
{
    auto t = type::object({{"set", type::set(type::string())}, {"num", type::number()}});
    auto v = from_json(R"({"set":["b","a","b"],"num":3.25})", t);
    REQUIRE(v.has_value());
    CHECK(v->get("set")->elements().size() == 2);
    auto mp = to_msgpack(*v, t);
    REQUIRE(mp.has_value());
    auto back = from_msgpack(*mp, t);
    REQUIRE(back.has_value());
    CHECK(*back == *v);
    CHECK(*to_json(*back, t) == R"({"num":3.25,"set":["a","b"]})");
}

} // namespace rpcplugin::terraform
