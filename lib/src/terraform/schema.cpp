#include <rpcplugin/terraform/schema.hpp>

#include <set>

namespace rpcplugin::terraform
{

block_builder& block_builder::add(std::string name, type t, std::string description, bool req,
                                  bool opt, bool comp)
{
    attribute a;
    a.name = std::move(name);
    a.ty = std::move(t);
    a.description = std::move(description);
    a.required = req;
    a.optional = opt;
    a.computed = comp;
    b_.attributes.push_back(std::move(a));
    return *this;
}

block_builder& block_builder::required(std::string name, type t, std::string description)
{
    return add(std::move(name), std::move(t), std::move(description), true, false, false);
}

block_builder& block_builder::optional(std::string name, type t, std::string description)
{
    return add(std::move(name), std::move(t), std::move(description), false, true, false);
}

block_builder& block_builder::computed(std::string name, type t, std::string description)
{
    return add(std::move(name), std::move(t), std::move(description), false, false, true);
}

block_builder& block_builder::optional_computed(std::string name, type t, std::string description)
{
    return add(std::move(name), std::move(t), std::move(description), false, true, true);
}

block_builder& block_builder::nested_attribute(std::string name, nesting mode,
                                               block_builder attributes, bool req, bool opt,
                                               bool comp, std::string description)
{
    add(std::move(name), type::dynamic(), std::move(description), req, opt, comp);
    auto n = std::make_shared<nested_attributes>();
    n->mode = mode;
    n->attributes = std::move(attributes.b_.attributes);
    b_.attributes.back().nested = std::move(n);
    return *this;
}

block_builder& block_builder::sensitive()
{
    if (!b_.attributes.empty())
        b_.attributes.back().sensitive = true;
    return *this;
}

block_builder& block_builder::deprecated()
{
    if (!b_.attributes.empty())
        b_.attributes.back().deprecated = true;
    return *this;
}

block_builder& block_builder::write_only()
{
    if (!b_.attributes.empty())
        b_.attributes.back().write_only = true;
    return *this;
}

block_builder& block_builder::markdown()
{
    if (!b_.attributes.empty())
        b_.attributes.back().markdown = true;
    return *this;
}

block_builder& block_builder::nested(std::string type_name, nesting mode, block_builder body,
                                     std::int64_t min_items, std::int64_t max_items)
{
    b_.blocks.push_back(
        nested_block{std::move(type_name), body.build(), mode, min_items, max_items});
    return *this;
}

block_builder& block_builder::description(std::string text, bool markdown)
{
    b_.description = std::move(text);
    b_.markdown = markdown;
    return *this;
}

namespace
{

type attribute_type(const attribute& a);

type nested_object_type(const nested_attributes& n)
{
    std::vector<std::pair<std::string, type>> attrs;
    for (const auto& a : n.attributes)
        attrs.emplace_back(a.name, attribute_type(a));
    return type::object(std::move(attrs));
}

type attribute_type(const attribute& a)
{
    if (!a.nested)
        return a.ty.without_optional();
    type obj = nested_object_type(*a.nested);
    switch (a.nested->mode)
    {
    case nesting::list: return type::list(obj);
    case nesting::set: return type::set(obj);
    case nesting::map: return type::map(obj);
    default: return obj;
    }
}

bool valid_name(const std::string& n)
{
    if (n.empty())
        return false;
    for (char c : n)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return false;
    return true;
}

bool any_write_only(const std::vector<attribute>& attrs)
{
    for (const auto& a : attrs)
        if (a.write_only || (a.nested && any_write_only(a.nested->attributes)))
            return true;
    return false;
}

bool block_has_write_only(const block& b)
{
    if (any_write_only(b.attributes))
        return true;
    for (const auto& nb : b.blocks)
        if (block_has_write_only(nb.body))
            return true;
    return false;
}

void validate_attributes(const std::vector<attribute>& attrs, const std::string& prefix,
                         std::set<std::string>& names, std::vector<std::string>& out)
{
    for (const auto& a : attrs)
    {
        std::string where = prefix + a.name;
        if (!valid_name(a.name))
            out.push_back(where +
                          ": name must contain only lowercase letters, digits and underscores");
        if (!names.insert(a.name).second)
            out.push_back(where + ": name defined more than once");
        if (!a.required && !a.optional && !a.computed)
            out.push_back(where + ": must set one of required, optional or computed");
        if (a.required && a.optional)
            out.push_back(where + ": cannot set both optional and required");
        if (a.required && a.computed)
            out.push_back(where + ": cannot set both computed and required");
        if (a.nested)
        {
            if (a.nested->mode == nesting::group)
                out.push_back(where + ": nested attributes cannot use group nesting");
            if (a.nested->mode == nesting::set)
            {
                if (nested_object_type(*a.nested).has_dynamic())
                    out.push_back(where + ": set nesting cannot contain dynamic types");
                if (any_write_only(a.nested->attributes))
                    out.push_back(where + ": set nesting cannot contain write-only attributes");
            }
            std::set<std::string> inner;
            validate_attributes(a.nested->attributes, where + ".", inner, out);
        }
    }
}

void validate_block(const block& b, const std::string& prefix, std::vector<std::string>& out)
{
    std::set<std::string> names;
    validate_attributes(b.attributes, prefix, names, out);
    for (const auto& nb : b.blocks)
    {
        std::string where = prefix + nb.type_name;
        if (!valid_name(nb.type_name))
            out.push_back(where +
                          ": name must contain only lowercase letters, digits and underscores");
        if (!names.insert(nb.type_name).second)
            out.push_back(where + ": name defined more than once");
        if (nb.min_items < 0 || nb.max_items < 0)
            out.push_back(where +
                          ": min_items and max_items must be greater than or equal to zero");
        switch (nb.mode)
        {
        case nesting::single:
            if (nb.min_items != nb.max_items || nb.min_items > 1)
                out.push_back(where + ": single nesting needs min_items = max_items = 0 or 1");
            break;
        case nesting::group:
            if (nb.min_items != 0 || nb.max_items != 0)
                out.push_back(where + ": group nesting takes no min_items or max_items");
            break;
        case nesting::list:
        case nesting::set:
            if (nb.max_items > 0 && nb.min_items > nb.max_items)
                out.push_back(where + ": min_items must be less than or equal to max_items");
            if (nb.mode == nesting::set)
            {
                if (implied_type(nb.body).has_dynamic())
                    out.push_back(where + ": set nesting cannot contain dynamic types");
                if (block_has_write_only(nb.body))
                    out.push_back(where + ": set nesting cannot contain write-only attributes");
            }
            break;
        case nesting::map:
            if (nb.min_items != 0 || nb.max_items != 0)
                out.push_back(where + ": map nesting takes no min_items or max_items");
            break;
        }
        validate_block(nb.body, where + ".", out);
    }
}

} // namespace

type implied_type(const block& b)
{
    std::vector<std::pair<std::string, type>> attrs;
    for (const auto& a : b.attributes)
        attrs.emplace_back(a.name, attribute_type(a));
    for (const auto& nb : b.blocks)
    {
        type obj = implied_type(nb.body);
        switch (nb.mode)
        {
        case nesting::single:
        case nesting::group: attrs.emplace_back(nb.type_name, obj); break;
        case nesting::list:
            attrs.emplace_back(nb.type_name, obj.has_dynamic() ? type::dynamic() : type::list(obj));
            break;
        case nesting::set: attrs.emplace_back(nb.type_name, type::set(obj)); break;
        case nesting::map:
            attrs.emplace_back(nb.type_name, obj.has_dynamic() ? type::dynamic() : type::map(obj));
            break;
        }
    }
    return type::object(std::move(attrs));
}

std::vector<std::string> validate(const schema& s)
{
    std::vector<std::string> out;
    if (s.version < 0)
        out.push_back("schema version must be greater than or equal to zero");
    validate_block(s.body, "", out);
    return out;
}

} // namespace rpcplugin::terraform
