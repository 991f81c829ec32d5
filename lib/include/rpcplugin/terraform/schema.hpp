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
    /// The attribute's name in configuration (`^[a-z0-9_]+$`, unique within its block).
    std::string name;
    type ty;                                         ///< unused when `nested` is set
    std::shared_ptr<const nested_attributes> nested; ///< protocol 6 nested attributes
    /// The description shown in documentation.
    std::string description;
    bool markdown = false; ///< description is Markdown rather than plain text
    /// Configuration must set it.
    bool required = false;
    /// Configuration may set it.
    bool optional = false;
    /// The provider sets it (together with `optional`: when configuration leaves it null).
    bool computed = false;
    /// Terraform hides its value in plans and output.
    bool sensitive = false;
    /// Terraform warns when configuration sets it.
    bool deprecated = false;
    /// Its configuration value reaches the provider but is never stored in plan or state.
    bool write_only = false;
};

/// The attributes of a protocol 6 nested attribute (Schema.Object) and how they repeat.
struct nested_attributes
{
    nesting mode = nesting::single; ///< single, list, set or map
    /// The attributes of each nested object.
    std::vector<attribute> attributes;
};

struct nested_block;

/// A configuration block: attributes and nested block types (Schema.Block).
struct block
{
    /// The block's attributes.
    std::vector<attribute> attributes;
    /// The block types nested in it.
    std::vector<nested_block> blocks;
    /// The description shown in documentation.
    std::string description;
    /// `description` is Markdown rather than plain text.
    bool markdown = false;
    /// Terraform warns when configuration uses the block.
    bool deprecated = false;
};

/// A block type nested in a block (Schema.NestedBlock).
struct nested_block
{
    /// The block's name in configuration (`^[a-z0-9_]+$`, unique within its parent).
    std::string type_name;
    /// What each such block contains.
    block body;
    /// How the block repeats.
    nesting mode = nesting::list;
    /// List and set: fewest blocks (0: none needed). Single: with `max_items`, both 1 makes
    /// the block required, both 0 optional. Group and map: 0.
    std::int64_t min_items = 0;
    /// List and set: most blocks (0: no limit). Single: equal to `min_items`. Group and
    /// map: 0.
    std::int64_t max_items = 0;
};

/// A provider, resource or data source schema: a version (stored in state) and a block.
struct schema
{
    /// The schema version, stored with each object's state; resource::upgrade() receives
    /// the version a stored state was written with.
    std::int64_t version = 0;
    /// The top-level block.
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
    /// Adds a required attribute `name` of type `t`.
    block_builder& required(std::string name, type t, std::string description = {});
    /// Adds an optional attribute `name` of type `t`.
    block_builder& optional(std::string name, type t, std::string description = {});
    /// Adds an attribute `name` of type `t` that only the provider sets.
    block_builder& computed(std::string name, type t, std::string description = {});
    /// Optional in config; computed by the provider when config leaves it null.
    block_builder& optional_computed(std::string name, type t, std::string description = {});
    /// A protocol 6 nested attribute holding the attributes of `attributes`, repeated as
    /// `mode`; `required`, `optional` and `computed` are its flags.
    block_builder& nested_attribute(std::string name, nesting mode, block_builder attributes,
                                    bool required, bool optional, bool computed,
                                    std::string description = {});
    /// Marks the last added attribute sensitive (no effect before the first attribute).
    block_builder& sensitive();
    /// Marks the last added attribute deprecated (no effect before the first attribute).
    block_builder& deprecated();
    /// Marks the last added attribute write-only (no effect before the first attribute).
    block_builder& write_only();
    /// Marks the last added attribute's description as Markdown (no effect before the
    /// first attribute).
    block_builder& markdown();

    /// Adds the nested block type `type_name` with the content of `body`, repeated as
    /// `mode` (see nested_block for `min_items` and `max_items`).
    block_builder& nested(std::string type_name, nesting mode, block_builder body,
                          std::int64_t min_items = 0, std::int64_t max_items = 0);
    /// Sets the block's own description, Markdown when `markdown`.
    block_builder& description(std::string text, bool markdown = false);

    /// The block built so far (a copy: the builder can go on).
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
