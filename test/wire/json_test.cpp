#include "rpcplugin/wire/json.hpp"

#include <doctest/doctest.h>

#include <string>
#include <string_view>

namespace wire = rpcplugin::wire;

using namespace std::string_view_literals;

TEST_SUITE("wire")
{
    TEST_CASE("json_string quotes plain text unchanged")
    {
        CHECK(wire::json_string("") == "\"\"");
        CHECK(wire::json_string("hello, world") == "\"hello, world\"");
        CHECK(wire::json_string("~ DEL\x7f") == "\"~ DEL\x7f\"");
    }

    TEST_CASE("json_string escapes quotes, backslashes and control characters as Go does")
    {
        CHECK(wire::json_string("a\"b\\c") == R"("a\"b\\c")");
        CHECK(wire::json_string("\n\r\t\b\f") == R"("\n\r\t\b\f")");
        CHECK(wire::json_string("\x01\x1f\x0b") == R"("\u0001\u001f\u000b")");
        CHECK(wire::json_string("a\0b"sv) == R"("a\u0000b")");
    }

    TEST_CASE("json_string escapes HTML characters and the JavaScript line separators")
    {
        CHECK(wire::json_string("<a&b>") == R"("\u003ca\u0026b\u003e")");
        CHECK(wire::json_string("x\u2028y\u2029z") == R"("x\u2028y\u2029z")");
    }

    TEST_CASE("json_string copies valid UTF-8 unchanged")
    {
        CHECK(wire::json_string("\u00e9\u20ac\U0001F600\U0010FFFF") ==
              "\"\u00e9\u20ac\U0001F600\U0010FFFF\"");
        CHECK(wire::json_string("\u2027\u202a") == "\"\u2027\u202a\""); // neighbours of 2028/9
    }

    TEST_CASE("json_string replaces every invalid UTF-8 byte with \\ufffd")
    {
        CHECK(wire::json_string("a\x80z") == R"("a\ufffdz")");                 // stray continuation
        CHECK(wire::json_string("\xc0\xaf") == R"("\ufffd\ufffd")");           // overlong '/'
        CHECK(wire::json_string("\xc1\xbf") == R"("\ufffd\ufffd")");           // overlong
        CHECK(wire::json_string("\xe0\x80\xaf") == R"("\ufffd\ufffd\ufffd")"); // overlong
        CHECK(wire::json_string("\xed\xa0\x80") == R"("\ufffd\ufffd\ufffd")"); // surrogate
        CHECK(wire::json_string("\xf0\x80\x80\xaf") == R"("\ufffd\ufffd\ufffd\ufffd")");
        CHECK(wire::json_string("\xf4\x90\x80\x80") == R"("\ufffd\ufffd\ufffd\ufffd")"); // >10FFFF
        CHECK(wire::json_string("\xf5\xff") == R"("\ufffd\ufffd")");
        CHECK(wire::json_string("x\xe2\x82") == R"("x\ufffd\ufffd")"); // truncated at the end
        CHECK(wire::json_string("\xe2\x82x") == R"("\ufffd\ufffdx")"); // truncated in the middle
        CHECK(wire::json_string("\xc3(") == R"("\ufffd(")");
    }

    TEST_CASE("append_json_string appends to what is there")
    {
        std::string out = "{";
        wire::append_json_string(out, "k");
        out += ':';
        wire::append_json_string(out, "v\n");
        CHECK(out == R"({"k":"v\n")");
    }

    TEST_CASE("go_quote writes Go's strconv.Quote escapes")
    {
        CHECK(wire::go_quote("") == R"("")");
        CHECK(wire::go_quote("abc") == R"("abc")");
        CHECK(wire::go_quote("a\"b\\c") == R"("a\"b\\c")");
        CHECK(wire::go_quote("\a\b\f\n\r\t\v") == R"("\a\b\f\n\r\t\v")");
        CHECK(wire::go_quote("\x01\x7f") == R"("\x01\x7f")");
        CHECK(wire::go_quote("caf\xc3\xa9") == "\"caf\xc3\xa9\"");
    }

    // Expected values printed by Go 1.19's strconv.Quote and encoding/json.
    TEST_CASE(
        "go_quote works rune by rune: invalid bytes as \\xNN, unprintable characters as \\u or \\U")
    {
        CHECK(wire::go_quote("a\x80z") == R"("a\x80z")");
        CHECK(wire::go_quote("\xc3") == R"("\xc3")");
        CHECK(wire::go_quote("\xed\xa0\x80") == R"("\xed\xa0\x80")"); // a surrogate is not valid
        CHECK(wire::go_quote("\u00ad\u0085\ufeff\u2028") == R"("\u00ad\u0085\ufeff\u2028")");
        CHECK(wire::go_quote("\U0001F600\u00e9") == "\"\U0001F600\u00e9\"");
        CHECK(wire::go_quote("\U0010FFFF\ue000") == R"("\U0010ffff\ue000")");
        CHECK(wire::go_quote("\x00\x1b"sv) == R"("\x00\x1b")");
    }

    TEST_CASE("json_string as Go 1.19 writes it: backspace and form feed as \\u escapes")
    {
        std::string out;
        wire::append_json_string(out, "\b\f\x01<\u2028\xff", wire::go_json::go1_19);
        CHECK(out == R"("\u0008\u000c\u0001\u003c\u2028\ufffd")");
        out.clear();
        wire::append_json_string(out, "\b\f", wire::go_json::go1_22);
        CHECK(out == R"("\b\f")");
    }
}
