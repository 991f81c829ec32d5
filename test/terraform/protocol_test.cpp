// The provider kit's protocol layer: schemas, paths, diagnostics and DynamicValues as
// tfplugin5/tfplugin6 messages.
#include "hex.hpp"

#include <rpcplugin/terraform/protocol.hpp>

#include <doctest/doctest.h>

namespace rpcplugin::terraform
{

TEST_CASE("protocol: a schema becomes tfplugin6 and tfplugin5 Schema messages")
{
    schema s{
        2, block_builder()
               .required("path", type::string(), "Where.")
               .optional("secret", type::string())
               .sensitive()
               .computed("sha256", type::string())
               .nested("rule", nesting::set, block_builder().required("port", type::number()), 0, 5)
               .description("A file.", true)
               .build()};
    tfplugin6::Schema p6;
    REQUIRE(to_proto(s, p6).has_value());
    CHECK(p6.version() == 2);
    REQUIRE(p6.block().attributes_size() == 3);
    CHECK(p6.block().attributes(0).name() == "path");
    CHECK(p6.block().attributes(0).type() == "\"string\"");
    CHECK(p6.block().attributes(0).required());
    CHECK(p6.block().attributes(1).sensitive());
    CHECK(p6.block().attributes(2).computed());
    CHECK(p6.block().description_kind() == tfplugin6::MARKDOWN);
    REQUIRE(p6.block().block_types_size() == 1);
    CHECK(p6.block().block_types(0).nesting() == tfplugin6::Schema::NestedBlock::SET);
    CHECK(p6.block().block_types(0).max_items() == 5);
    CHECK(p6.block().block_types(0).block().attributes(0).type() == "\"number\"");

    tfplugin5::Schema p5;
    REQUIRE(to_proto(s, p5).has_value());
    CHECK(p5.block().attributes(1).sensitive());

    schema nested{0, block_builder()
                         .nested_attribute("disks", nesting::list,
                                           block_builder().required("size", type::number()), false,
                                           true, false)
                         .build()};
    tfplugin6::Schema n6;
    REQUIRE(to_proto(nested, n6).has_value());
    CHECK(n6.block().attributes(0).nested_type().nesting() == tfplugin6::Schema::Object::LIST);
    CHECK(n6.block().attributes(0).nested_type().attributes(0).name() == "size");
    CHECK(n6.block().attributes(0).type().empty());
    tfplugin5::Schema n5;
    auto r = to_proto(nested, n5);
    REQUIRE(!r.has_value());
    CHECK(r.error().what() == "at .disks: protocol 5 cannot express nested attributes");
}

TEST_CASE("protocol: attribute paths and diagnostics")
{
    attribute_path p{path_step::attr("tags"), path_step::map_key("env"), path_step::at(3)};
    tfplugin6::AttributePath pp;
    to_proto(p, pp);
    REQUIRE(pp.steps_size() == 3);
    CHECK(pp.steps(0).attribute_name() == "tags");
    CHECK(pp.steps(1).element_key_string() == "env");
    CHECK(pp.steps(2).element_key_int() == 3);
    CHECK(from_proto(pp) == p);

    tfplugin5::Diagnostic d;
    to_proto(diagnostic::warning("Deprecated", "Use x.", {path_step::attr("y")}), d);
    CHECK(d.severity() == tfplugin5::Diagnostic::WARNING);
    CHECK(d.summary() == "Deprecated");
    CHECK(d.attribute().steps(0).attribute_name() == "y");
    tfplugin6::Diagnostic e;
    to_proto(diagnostic::error("Boom"), e);
    CHECK(e.severity() == tfplugin6::Diagnostic::ERROR);
    CHECK(!e.has_attribute());
}

TEST_CASE("protocol: DynamicValue decoding follows Terraform (msgpack, else JSON, else null)")
{
    auto t = type::object({{"a", type::string()}});
    tfplugin6::DynamicValue dv;
    auto v = decode(dv, t);
    REQUIRE(v.has_value());
    CHECK(v->is_null());
    CHECK(v->ty() == t);
    dv.set_json(R"({"a":"j"})");
    CHECK(decode(dv, t)->get("a")->as_string() == "j");
    dv.set_msgpack(test::unhex("81 a1 61 a1 6d"));
    CHECK(decode(dv, t)->get("a")->as_string() == "m");
    dv.set_msgpack(test::unhex("81 a1 61 c3"));
    auto bad = decode(dv, t);
    REQUIRE(!bad.has_value());
    auto diag = decode_error(bad.error(), "configuration");
    CHECK(diag.summary == "Invalid configuration");
    CHECK(diag.detail == "string is required");
    CHECK(diag.path == attribute_path{path_step::attr("a")});

    tfplugin5::DynamicValue out;
    REQUIRE(encode(value::null(t), t, out).has_value());
    CHECK(test::hex(out.msgpack()) == "c0");
    REQUIRE(encode(value::object(t, {{"a", value::string("x")}}), t, out).has_value());
    CHECK(test::hex(out.msgpack()) == "81a161a178");
}

TEST_CASE("protocol: a function becomes tfplugin6 and tfplugin5 Function messages")
{
    function f;
    f.parameters = {{"input", type::string(), false, false, "The text."},
                    {"count", type::number(), true, true, "How many times."}};
    f.variadic = function::parameter{"extra", type::list(type::boolean()), true, false,
                                     "Any further flags."};
    f.returns = type::string();
    f.summary = "Repeats text";
    f.description = "Repeats the text count times.";

    auto check = [](const auto& out)
    {
        REQUIRE(out.parameters_size() == 2);
        CHECK(out.parameters(0).name() == "input");
        CHECK(out.parameters(0).type() == "\"string\"");
        CHECK(!out.parameters(0).allow_null_value());
        CHECK(!out.parameters(0).allow_unknown_values());
        CHECK(out.parameters(0).description() == "The text.");
        CHECK(out.parameters(1).name() == "count");
        CHECK(out.parameters(1).type() == "\"number\"");
        CHECK(out.parameters(1).allow_null_value());
        CHECK(out.parameters(1).allow_unknown_values());
        CHECK(out.parameters(1).description() == "How many times.");
        REQUIRE(out.has_variadic_parameter());
        CHECK(out.variadic_parameter().name() == "extra");
        CHECK(out.variadic_parameter().type() == "[\"list\",\"bool\"]");
        CHECK(out.variadic_parameter().allow_null_value());
        CHECK(!out.variadic_parameter().allow_unknown_values());
        CHECK(out.variadic_parameter().description() == "Any further flags.");
        CHECK(out.return_().type() == "\"string\"");
        CHECK(out.summary() == "Repeats text");
        CHECK(out.description() == "Repeats the text count times.");
    };
    tfplugin6::Function p6;
    to_proto(f, p6);
    check(p6);
    tfplugin5::Function p5;
    to_proto(f, p5);
    check(p5);

    function plain;
    plain.returns = type::number();
    tfplugin6::Function q6;
    to_proto(plain, q6);
    CHECK(q6.parameters_size() == 0);
    CHECK(!q6.has_variadic_parameter());
    CHECK(q6.return_().type() == "\"number\"");
}

} // namespace rpcplugin::terraform
