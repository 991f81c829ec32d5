// DynamicValue.msgpack: go-cty's bytes for each kind of value, and errors that name their
// attribute path. The byte strings come from the Terraform provider protocol (the spec's
// examples were produced with go-cty 1.12.1); test/terraform/crosscheck compares many
// more with go-cty itself.
#include "hex.hpp"

#include <rpcplugin/terraform/codec.hpp>

#include <doctest/doctest.h>

namespace rpcplugin::terraform
{
using test::hex;
using test::unhex;

namespace
{

std::string enc(const value& v, const type& t)
{
    auto r = to_msgpack(v, t);
    REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().what()));
    return hex(*r);
}

value dec(std::string_view h, const type& t)
{
    auto r = from_msgpack(unhex(h), t);
    REQUIRE_MESSAGE(r.has_value(), (r ? "" : r.error().what()));
    return *r;
}

std::string dec_error(std::string_view h, const type& t)
{
    auto r = from_msgpack(unhex(h), t);
    REQUIRE(!r.has_value());
    return r.error().what();
}

} // namespace

TEST_CASE("msgpack: primitives, null and unknown")
{
    CHECK(enc(value::null(type::string()), type::string()) == "c0");
    CHECK(enc(value::unknown(type::string()), type::string()) == "d40000");
    CHECK(enc(value::string("hi"), type::string()) == "a26869");
    CHECK(enc(value::boolean(false), type::boolean()) == "c2");
    CHECK(enc(value::boolean(true), type::boolean()) == "c3");
    CHECK(enc(value::integer(1), type::number()) == "01");
    CHECK(enc(value::integer(-1), type::number()) == "ff");
    CHECK(enc(value::integer(200), type::number()) == "ccc8");
    CHECK(enc(value::integer(-200), type::number()) == "d1ff38");
    CHECK(enc(value::integer(-33), type::number()) == "d0df");
    CHECK(enc(value::integer(70000), type::number()) == "ce00011170");
    CHECK(enc(value::num(*number::parse("1.5")), type::number()) == "cb3ff8000000000000");
    CHECK(enc(value::num(*number::parse("0.1")), type::number()) == "a3302e31");
    CHECK(enc(value::num(*number::parse("18446744073709551617")), type::number()) ==
          "b4" + hex("18446744073709551617"));
    // Beyond int64 but exact in float64: go-cty 1.12.1 writes a float64.
    CHECK(enc(value::num(*number::parse("9223372036854775808")), type::number()) ==
          "cb43e0000000000000");
    CHECK(enc(value::num(number::infinity(false)), type::number()) == "cb7ff0000000000000");
    std::string s40(40, 'x');
    CHECK(enc(value::string(s40), type::string()) == "d928" + hex(s40));
}

TEST_CASE("msgpack: collections, objects and sorted keys")
{
    CHECK(enc(value::list(type::string(), {}), type::list(type::string())) == "90");
    auto m =
        value::map(type::boolean(), {{"z", value::boolean(true)}, {"a", value::boolean(false)}});
    CHECK(enc(m, type::map(type::boolean())) == "82a161c2a17ac3");
    auto ot = type::object({{"a", type::string()}, {"b", type::string()}});
    auto o = value::object(ot, {{"b", value::string("x")}});
    CHECK(enc(o, ot) == "82a161c0a162a178");
    auto s =
        value::set(type::string(), {value::string("b"), value::string("a"), value::string("b")});
    CHECK(enc(s, type::set(type::string())) == "92a161a162");
    auto n = value::set(type::number(), {value::integer(10), value::integer(-2),
                                         value::unknown(type::number()), value::integer(3)});
    CHECK(enc(n, type::set(type::number())) == "94fe030ad40000");
}

TEST_CASE("msgpack: dynamic values carry their type")
{
    CHECK(enc(value::string("hi"), type::dynamic()) == "92c408" + hex("\"string\"") + "a26869");
    CHECK(enc(value::unknown(type::dynamic()), type::dynamic()) == "d40000");
    CHECK(enc(value::null(type::dynamic()), type::dynamic()) == "c0");
    CHECK(enc(value::unknown(type::string()), type::dynamic()) ==
          "92c408" + hex("\"string\"") + "d40000");
    auto v = dec("92c408" + hex("\"string\"") + "a26869", type::dynamic());
    CHECK(v == value::string("hi"));
    // The type JSON may come as str as well as bin.
    CHECK(dec("92a8" + hex("\"number\"") + "05", type::dynamic()) == value::integer(5));
}

TEST_CASE("msgpack: decoding accepts every number form Terraform may send")
{
    auto n = [&](std::string_view h) { return dec(h, type::number()).as_number().text(); };
    CHECK(n("05") == "5");
    CHECK(n("ff") == "-1");
    CHECK(n("cc c8") == "200");
    CHECK(n("d0 80") == "-128");
    CHECK(n("cf ff ff ff ff ff ff ff ff") == "18446744073709551615");
    CHECK(n("d3 80 00 00 00 00 00 00 00") == "-9223372036854775808");
    CHECK(n("ca 3f c0 00 00") == "1.5");
    CHECK(n("cb 3f b9 99 99 99 99 99 9a") == "0.1");
    CHECK(n("a3 30 2e 31") == "0.1");
    CHECK(n("a3 31 65 33") == "1000");
    // Re-encoding is what go-cty would write.
    CHECK(hex(*to_msgpack(dec("cd 00 05", type::number()), type::number())) == "05");
    CHECK(hex(*to_msgpack(dec("a3 31 65 33", type::number()), type::number())) == "cd03e8");
}

TEST_CASE("msgpack: unknowns, plain and refined")
{
    CHECK(!dec("d4 00 00", type::string()).is_known());
    CHECK(!dec("c7 00 00", type::string()).is_known());
    CHECK(!dec("c7 03 0c 81 01 c2", type::string()).is_known());
    CHECK(!dec("d4 00 00", type::dynamic()).is_known());
    CHECK(dec_error("d5 05 01 02", type::string()).find("extension") != std::string::npos);
    auto lt = type::list(type::string());
    auto l = dec("92 a1 61 d4 00 00", lt);
    CHECK(!l.is_wholly_known());
    CHECK(hex(*to_msgpack(l, lt)) == "92a161d40000");
}

TEST_CASE("msgpack: bad input is an error naming the attribute path")
{
    auto t = type::object({{"name", type::string()},
                           {"tags", type::map(type::number())},
                           {"items", type::list(type::object({{"n", type::number()}}))}});
    CHECK(dec_error("81 a4 6e616d65 a1 78", t) ==
          "an object with 3 attributes is required (1 given)");
    CHECK(dec_error("83 a5 6974656d73 90 a4 6e616d65 c3 a4 74616773 80", t) ==
          "at .name: string is required");
    CHECK(dec_error("83 a5 6974656d73 91 81 a1 6e a1 78 a4 6e616d65 c0 a4 74616773 c0", t) ==
          "at .items[0].n: number is required");
    CHECK(dec_error("83 a5 6974656d73 c0 a4 6e616d65 c0 a4 74616773 81 a1 6b c3", t) ==
          "at .tags[\"k\"]: number is required");
    CHECK(dec_error("83 a5 6974656d73 c0 a4 6e616d65 c0 a1 78 c0", t) ==
          "at .x: unsupported attribute");
    CHECK(dec_error("83 a5 6974656d73 c0 a4 6e616d65 c0 a4 6e616d65 c0", t) ==
          "at .name: attribute given more than once");
    CHECK(dec_error("80", t) == "an object with 3 attributes is required (0 given)");
    CHECK(dec_error("", t) == "unexpected end of msgpack data");
    CHECK(dec_error("dc ff ff", type::list(type::string())) == "unexpected end of msgpack data");
    CHECK(dec_error("c0 c0", type::string()) == "trailing data after the msgpack value");
    CHECK(dec_error("cb 7f f8 00 00 00 00 00 00", type::number()).find("NaN") != std::string::npos);
    CHECK(dec_error("a3 616263", type::number()) == "number is required");
    CHECK(dec_error("93 c0 c0 c0", type::tuple({type::string()})) ==
          "a tuple of length 1 is required");
    CHECK(dec_error("93 a1 61 a1 62 a1 63", type::dynamic()) ==
          "dynamic value array must have exactly two elements");
    CHECK(dec_error("92 c4 03 626164 c0", type::dynamic()).find("invalid type") !=
          std::string::npos);
    CHECK(dec_error("81 01 c3", type::map(type::boolean())) == "non-string key in map");
}

TEST_CASE("msgpack: encoding refuses a value that does not conform")
{
    auto r = to_msgpack(value::object({{"a", value::integer(1)}}),
                        type::object({{"a", type::string()}}));
    REQUIRE(!r.has_value());
    CHECK(r.error().what() == "at .a: a value of type number cannot be encoded as string");
}

} // namespace rpcplugin::terraform
