// Schemas: the builder, the implied (wire) type and Terraform's schema checks.
#include <rpcplugin/terraform/schema.hpp>

#include <doctest/doctest.h>

#include <algorithm>

namespace rpcplugin::terraform
{

namespace
{

bool mentions(const std::vector<std::string>& errors, std::string_view what)
{
    return std::any_of(errors.begin(), errors.end(),
                       [&](const std::string& e) { return e.find(what) != std::string::npos; });
}

} // namespace

TEST_CASE("schema: the builder records flags on the attribute added last")
{
    block b = block_builder()
                  .required("path", type::string(), "Where the file lives.")
                  .optional("secret", type::string())
                  .sensitive()
                  .write_only()
                  .computed("sha256", type::string())
                  .optional_computed("mode", type::string())
                  .deprecated()
                  .build();
    REQUIRE(b.attributes.size() == 4);
    CHECK(b.attributes[0].required);
    CHECK(b.attributes[0].description == "Where the file lives.");
    CHECK(b.attributes[1].sensitive);
    CHECK(b.attributes[1].write_only);
    CHECK(!b.attributes[0].sensitive);
    CHECK(b.attributes[2].computed);
    CHECK(!b.attributes[2].optional);
    CHECK(b.attributes[3].optional);
    CHECK(b.attributes[3].computed);
    CHECK(b.attributes[3].deprecated);
}

TEST_CASE("schema: implied type of attributes, nested attributes and blocks")
{
    auto rule = block_builder().required("port", type::number()).optional("proto", type::string());
    block b =
        block_builder()
            .required("name", type::string())
            .optional("opts", *parse_type_json(R"(["object",{"a":"string"},["a"]])"))
            .nested_attribute("disks", nesting::list,
                              block_builder().required("size", type::number()), false, true, false)
            .nested("rule", nesting::set, rule)
            .nested("single", nesting::single, block_builder().optional("x", type::boolean()))
            .nested("group", nesting::group, block_builder().optional("y", type::boolean()))
            .nested("by_name", nesting::map, block_builder().optional("z", type::string()))
            .nested("dyn", nesting::list, block_builder().optional("any", type::dynamic()))
            .build();
    CHECK(
        implied_type(b).json() ==
        R"(["object",{"by_name":["map",["object",{"z":"string"}]],"disks":["list",["object",{"size":"number"}]],)"
        R"("dyn":"dynamic","group":["object",{"y":"bool"}],"name":"string","opts":["object",{"a":"string"}],)"
        R"("rule":["set",["object",{"port":"number","proto":"string"}]],"single":["object",{"x":"bool"}]}])");
    CHECK(validate(schema{0, b}).empty());
}

TEST_CASE("schema: Terraform's schema rules")
{
    auto errs = [](block_builder b, std::int64_t version = 0) {
        return validate(schema{version, b.build()});
    };
    CHECK(mentions(errs(block_builder().required("Bad-Name", type::string())),
                   "Bad-Name: name must contain"));
    CHECK(
        mentions(errs(block_builder().required("a", type::string()).optional("a", type::string())),
                 "a: name defined more than once"));
    CHECK(mentions(errs(block_builder()
                            .required("a", type::string())
                            .nested("a", nesting::list, block_builder())),
                   "a: name defined more than once"));
    auto none = block_builder().required("a", type::string());
    block b = none.build();
    b.attributes[0].required = false;
    CHECK(mentions(validate(schema{0, b}), "a: must set one of required, optional or computed"));
    b.attributes[0].required = true;
    b.attributes[0].computed = true;
    CHECK(mentions(validate(schema{0, b}), "cannot set both computed and required"));
    CHECK(mentions(errs(block_builder().nested("s", nesting::single, block_builder(), 1, 2)),
                   "s: single nesting"));
    CHECK(mentions(errs(block_builder().nested("l", nesting::list, block_builder(), 3, 2)),
                   "l: min_items"));
    CHECK(mentions(errs(block_builder().nested("m", nesting::map, block_builder(), 1, 0)),
                   "m: map nesting"));
    CHECK(mentions(errs(block_builder().nested("s", nesting::set,
                                               block_builder().optional("d", type::dynamic()))),
                   "s: set nesting cannot contain dynamic"));
    CHECK(mentions(
        errs(block_builder().nested("s", nesting::set,
                                    block_builder().optional("w", type::string()).write_only())),
        "s: set nesting cannot contain write-only"));
    CHECK(mentions(errs(block_builder().nested("outer", nesting::list,
                                               block_builder().optional("X", type::string()))),
                   "outer.X: name must contain"));
    CHECK(mentions(errs(block_builder(), -1), "schema version"));
}

} // namespace rpcplugin::terraform
