// cty numbers: exact decimals, go-cty's text forms and the float64/int64 tests the msgpack
// encoder relies on.
#include <rpcplugin/terraform/number.hpp>

#include <doctest/doctest.h>

#include <cmath>
#include <limits>

namespace rpcplugin::terraform
{

TEST_CASE("number: parse keeps the exact decimal and prints like big.Float Text('f', -1)")
{
    CHECK(number::parse("0.1")->text() == "0.1");
    CHECK(number::parse("1e3")->text() == "1000");
    CHECK(number::parse("1E+3")->text() == "1000");
    CHECK(number::parse("2.50")->text() == "2.5");
    CHECK(number::parse("-0.000120")->text() == "-0.00012");
    CHECK(number::parse("007")->text() == "7");
    CHECK(number::parse(".5")->text() == "0.5");
    CHECK(number::parse("5.")->text() == "5");
    CHECK(number::parse("18446744073709551617")->text() == "18446744073709551617");
    CHECK(number::parse("123456789012345678901234567890.123456789")->text() ==
          "123456789012345678901234567890.123456789");
    CHECK(number::parse("1e20")->text() == "100000000000000000000");
    CHECK(number::parse("-Inf")->is_infinity());
    CHECK(number::parse("+inf")->text() == "+Inf");
}

TEST_CASE("number: bad text is refused")
{
    for (const char* s : {"", "-", ".", "1e", "1e+", "0x10", "1_000", "abc", "1.2.3", " 1", "NaN",
                          "1e999999999999"})
        CHECK_MESSAGE(!number::parse(s), s);
    CHECK(!number::parse("1e5000")); // longer than the default 4096-character text bound
    CHECK(number::parse("1e5000", 6000));
}

TEST_CASE("number: int64 and exact float64 checks")
{
    CHECK(*number::parse("9223372036854775807")->as_int64() ==
          std::numeric_limits<std::int64_t>::max());
    CHECK(*number::parse("-9223372036854775808")->as_int64() ==
          std::numeric_limits<std::int64_t>::min());
    CHECK(!number::parse("9223372036854775808")->as_int64());
    CHECK(!number::parse("1.5")->as_int64());
    CHECK(*number::parse("1.5")->as_exact_double() == 1.5);
    CHECK(!number::parse("0.1")->as_exact_double());
    CHECK(*number::parse("9223372036854775808")->as_exact_double() == 9223372036854775808.0);
    CHECK(!number::parse("18446744073709551615")->as_exact_double());
    CHECK(!number::parse("1e300")->as_exact_double()); // 10^300 is not a float64
    CHECK(*number::parse("1267650600228229401496703205376")->as_exact_double() == 0x1p100);
    CHECK(!number::parse("1e400")->as_exact_double());
    CHECK(number::parse("5e-324")->as_exact_double() ==
          std::nullopt); // not 4.94065645841246544e-324 exactly
    auto tiny = number::from_double(5e-324);
    CHECK(*tiny->as_exact_double() == 5e-324);
}

TEST_CASE("number: float64 values print in their shortest form, compare by value")
{
    CHECK(number::from_double(0.1)->text() == "0.1");
    CHECK(number::from_double(1e21)->text() == "1000000000000000000000");
    CHECK(number::from_double(-2.5)->text() == "-2.5");
    CHECK(!number::from_double(std::nan("")));
    CHECK(*number::from_double(3.0) == number::from_int64(3));
    CHECK(*number::from_double(3.0)->as_int64() == 3);
    CHECK(number::from_int64(-5) < number::from_int64(2));
    CHECK(number::from_int64(10) > *number::parse("9.99"));
    CHECK(*number::parse("-1e2") < *number::parse("-99"));
    CHECK(number::infinity(true) < number::from_int64(-1000));
    CHECK(number::infinity(false) > *number::parse("1e4000", 5000));
    CHECK(*number::parse("0.1") != *number::from_double(0.1)); // 0.1 vs 0.1000000000000000055...
}

TEST_CASE("number: String() is big.Float's Text('g', 10)")
{
    CHECK(number::from_int64(0).text_g10() == "0");
    CHECK(number::from_int64(1).text_g10() == "1");
    CHECK(number::from_int64(-42).text_g10() == "-42");
    CHECK(number::parse("1234567890")->text_g10() == "1234567890");
    CHECK(number::parse("12345678901")->text_g10() == "1.23456789e+10");
    CHECK(number::parse("12345678951")->text_g10() == "1.234567895e+10");
    CHECK(number::parse("0.5")->text_g10() == "0.5");
    CHECK(number::parse("0.0001")->text_g10() == "0.0001");
    CHECK(number::parse("0.00001")->text_g10() == "1e-05");
    CHECK(number::parse("1e20")->text_g10() == "1e+20");
    CHECK(number::parse("99999999999")->text_g10() == "1e+11");
    CHECK(number::parse("1.25")->text_g10() == "1.25");
}

} // namespace rpcplugin::terraform
