#pragma once

#include <rpcplugin/terraform/type.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace rpcplugin::terraform
{

/// How nested blocks (and protocol 6's nested attributes) repeat. GROUP is for blocks only.
enum class nesting : std::uint8_t
{
    single = 1,
    list = 2,
    set = 3,
    map = 4,
    group = 5,
};

struct nested_attributes;

/// One attribute of a schema block (Terraform's Schema.Attribute).
struct attribute
{
    std::string name;
    type ty;                                         ///< unused when `nested` is set
    std::shared_ptr<const nested_attributes> nested; ///< protocol 6 nested attributes
    std::string description;
    bool markdown = false; ///< description is Markdown rather than plain text
    bool required = false;
    bool optional = false;
    bool computed = false;
    bool sensitive = false;
    bool deprecated = false;
    bool write_only = false;
};

struct nested_attributes
{
    nesting mode = nesting::single; ///< single, list, set or map
    std::vector<attribute> attributes;
};

struct nested_block;

/// A configuration block: attributes and nested block types (Schema.Block).
struct block
{
    std::vector<attribute> attributes;
    std::vector<nested_block> blocks;
    std::string description;
    bool markdown = false;
    bool deprecated = false;
};

struct nested_block
{
    std::string type_name;
    block body;
    nesting mode = nesting::list;
    std::int64_t min_items = 0;
    std::int64_t max_items = 0;
};

/// A provider, resource or data source schema: a version (stored in state) and a block.
struct schema
{
    std::int64_t version = 0;
    block body;
};

/**
 * Fluent construction of a block:
 *
 *     block b = block_builder()
 *         .required("path", type::string(), "Where the file lives.")
 *         .optional("mode", type::string())
 *         .computed("sha256", type::string())
 *         .optional("secret", type::string()).sensitive()
 *         .nested("rule", nesting::list, block_builder().required("port", type::number()))
 *         .build();
 *
 * The flag modifiers (sensitive(), deprecated(), write_only(), markdown()) apply to the
 * attribute added last. Not thread-safe; the built block is a plain value.
 */
class block_builder
{
public:
    block_builder& required(std::string name, type t, std::string description = {});
    block_builder& optional(std::string name, type t, std::string description = {});
    block_builder& computed(std::string name, type t, std::string description = {});
    /// Optional in config; computed by the provider when config leaves it null.
    block_builder& optional_computed(std::string name, type t, std::string description = {});
    /// A protocol 6 nested attribute: `flags` gives required/optional/computed.
    block_builder& nested_attribute(std::string name, nesting mode, block_builder attributes,
                                    bool required, bool optional, bool computed,
                                    std::string description = {});
    block_builder& sensitive();
    block_builder& deprecated();
    block_builder& write_only();
    block_builder& markdown();

    block_builder& nested(std::string type_name, nesting mode, block_builder body,
                          std::int64_t min_items = 0, std::int64_t max_items = 0);
    block_builder& description(std::string text, bool markdown = false);

    block build() const { return b_; }

private:
    block_builder& add(std::string name, type t, std::string description, bool req, bool opt,
                       bool comp);
    block b_;
};

/**
 * The block's wire type (Terraform's ImpliedType): an object of every attribute's type
 * (nested attributes as objects wrapped by their nesting) and every block type (single and
 * group as objects, list/set/map as collections of objects, and `dynamic` for a list or
 * map block whose body holds a dynamic type anywhere). No optional markers.
 */
type implied_type(const block& b);

/**
 * The checks Terraform runs on a schema it receives (configschema's InternalValidate):
 * names `^[a-z0-9_]+$` and unique, one of required/optional/computed and no contradictory
 * pair, nesting limits, no dynamic or write-only attributes under set nesting. Returns one
 * message per problem, each naming the attribute or block; empty when the schema is valid.
 */
std::vector<std::string> validate(const schema& s);

} // namespace rpcplugin::terraform
