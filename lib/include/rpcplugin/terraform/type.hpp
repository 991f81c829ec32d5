#pragma once

#include <rpcplugin/terraform/path.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rpcplugin::terraform
{

/**
 * A cty type: string, number, bool, list/set/map of an element type, object (named attribute
 * types, some possibly optional), tuple (element types by position), or dynamic (any type:
 * values in a dynamic position carry their own type).
 *
 * Types are immutable values that share their structure; copying is cheap and they are safe
 * to use from any thread.
 */
class type
{
public:
    /// What kind of type this is (the constructor functions below, one each).
    enum class kind : std::uint8_t
    {
        dynamic,
        string,
        number,
        boolean,
        list,
        set,
        map,
        object,
        tuple
    };

    struct attribute; // defined below: a name, a type and whether it is optional

    /// The dynamic pseudo-type.
    type();

    /// The dynamic pseudo-type (any type; also what `type()` gives).
    static type dynamic();
    /// The string type.
    static type string();
    /// The number type.
    static type number();
    /// The bool type.
    static type boolean();
    /// A list of `element`.
    static type list(type element);
    /// A set of `element`.
    static type set(type element);
    /// A map from string keys to `element`.
    static type map(type element);
    /// An object type; `optional` names attributes that config may omit (the type JSON's third
    /// element). Attributes are kept sorted by name; a repeated name keeps the last.
    static type object(std::vector<std::pair<std::string, type>> attributes,
                       const std::vector<std::string>& optional = {});
    /// A tuple of `elements`, by position.
    static type tuple(std::vector<type> elements);

    /// The type's kind.
    kind k() const noexcept;
    /// True for string, number and bool.
    bool is_primitive() const noexcept;
    bool is_collection() const noexcept; ///< list, set or map
    /// True for the dynamic pseudo-type.
    bool is_dynamic() const noexcept { return k() == kind::dynamic; }

    /// Element type of a list, set or map (dynamic for other kinds).
    const type& element() const;
    /// Attributes of an object, sorted by name (empty for other kinds).
    const std::vector<attribute>& attributes() const;
    /// The attribute named `name`, or nullptr.
    const attribute* find(std::string_view name) const;
    /// Element types of a tuple (empty for other kinds).
    const std::vector<type>& elements() const;

    /// The same type with every optional-attribute marker removed (the wire type).
    type without_optional() const;
    /// True if dynamic appears anywhere in the type.
    bool has_dynamic() const;

    /// cty's type JSON (`"string"`, `["list","number"]`, `["object",{...},["opt"]]`), byte for
    /// byte what go-cty's `Type.MarshalJSON` writes.
    std::string json() const;
    /// A readable name: "string", "list of number", "object", "tuple".
    std::string friendly_name() const;

    /// Structural equality, optional markers included.
    friend bool operator==(const type& a, const type& b);

    struct node;

private:
    explicit type(std::shared_ptr<const node> n)
        : n_(std::move(n))
    {
    }
    std::shared_ptr<const node> n_;
};

/// One attribute of an object type.
struct type::attribute
{
    /// The attribute's name.
    std::string name;
    /// The attribute's type.
    type ty;
    /// Configuration may omit it (listed in the type JSON's third element).
    bool optional = false;
};

/**
 * Parses cty type JSON as go-cty's `Type.UnmarshalJSON` does (the grammar in the Terraform
 * provider protocol: primitive names, `["list"|"set"|"map", T]`, `["object", {..}]` with an
 * optional third element naming optional attributes, `["tuple", [..]]`). Anything else,
 * including trailing data or nesting deeper than `max_depth`, is an error.
 */
result<type> parse_type_json(std::string_view json, std::size_t max_depth = 64);

/// True if a value of type `actual` may stand where `expected` is wanted: equal types,
/// ignoring optional markers, with dynamic in `expected` matching anything.
bool conforms(const type& actual, const type& expected);

} // namespace rpcplugin::terraform
