#include <rpcplugin/terraform/type.hpp>

#include "go_text.hpp"
#include "json_dom.hpp"

#include <algorithm>

namespace rpcplugin::terraform
{

struct type::node
{
    kind k = kind::dynamic;
    type element;                      // list, set, map
    std::vector<attribute> attributes; // object, sorted by name
    std::vector<type> elements;        // tuple
    explicit node(kind kk)
        : k(kk)
    {
    }
    node(kind kk, type e)
        : k(kk)
        , element(std::move(e))
    {
    }
};

namespace
{

const std::vector<type::attribute> no_attributes;
const std::vector<type> no_elements;

} // namespace

// The dynamic node is made by hand: node's `element` member is itself a type, so the
// default constructor of type cannot build a node.
type::type()
    : n_(nullptr)
{
}

type type::dynamic()
{
    return type();
}
type type::string()
{
    return type(std::make_shared<const node>(kind::string));
}
type type::number()
{
    return type(std::make_shared<const node>(kind::number));
}
type type::boolean()
{
    return type(std::make_shared<const node>(kind::boolean));
}
type type::list(type e)
{
    return type(std::make_shared<const node>(kind::list, std::move(e)));
}
type type::set(type e)
{
    return type(std::make_shared<const node>(kind::set, std::move(e)));
}
type type::map(type e)
{
    return type(std::make_shared<const node>(kind::map, std::move(e)));
}

type type::object(std::vector<std::pair<std::string, type>> attrs,
                  const std::vector<std::string>& optional)
{
    auto n = std::make_shared<node>(kind::object);
    for (auto& [name, t] : attrs)
    {
        auto it =
            std::lower_bound(n->attributes.begin(), n->attributes.end(), name,
                             [](const attribute& a, const std::string& k) { return a.name < k; });
        bool opt = std::find(optional.begin(), optional.end(), name) != optional.end();
        if (it != n->attributes.end() && it->name == name)
            *it = attribute{name, std::move(t), opt};
        else
            n->attributes.insert(it, attribute{name, std::move(t), opt});
    }
    return type(std::move(n));
}

type type::tuple(std::vector<type> elements)
{
    auto n = std::make_shared<node>(kind::tuple);
    n->elements = std::move(elements);
    return type(std::move(n));
}

type::kind type::k() const noexcept
{
    return n_ ? n_->k : kind::dynamic;
}

bool type::is_primitive() const noexcept
{
    auto kk = k();
    return kk == kind::string || kk == kind::number || kk == kind::boolean;
}

bool type::is_collection() const noexcept
{
    auto kk = k();
    return kk == kind::list || kk == kind::set || kk == kind::map;
}

const type& type::element() const
{
    static const type dyn;
    return is_collection() ? n_->element : dyn;
}

const std::vector<type::attribute>& type::attributes() const
{
    return k() == kind::object ? n_->attributes : no_attributes;
}

const type::attribute* type::find(std::string_view name) const
{
    const auto& a = attributes();
    auto it = std::lower_bound(a.begin(), a.end(), name,
                               [](const attribute& x, std::string_view k) { return x.name < k; });
    return it != a.end() && it->name == name ? &*it : nullptr;
}

const std::vector<type>& type::elements() const
{
    return k() == kind::tuple ? n_->elements : no_elements;
}

type type::without_optional() const
{
    switch (k())
    {
    case kind::list: return list(element().without_optional());
    case kind::set: return set(element().without_optional());
    case kind::map: return map(element().without_optional());
    case kind::object:
    {
        std::vector<std::pair<std::string, type>> attrs;
        for (const auto& a : attributes())
            attrs.emplace_back(a.name, a.ty.without_optional());
        return object(std::move(attrs));
    }
    case kind::tuple:
    {
        std::vector<type> es;
        for (const auto& e : elements())
            es.push_back(e.without_optional());
        return tuple(std::move(es));
    }
    default: return *this;
    }
}

bool type::has_dynamic() const
{
    switch (k())
    {
    case kind::dynamic: return true;
    case kind::list:
    case kind::set:
    case kind::map: return element().has_dynamic();
    case kind::object:
        return std::any_of(attributes().begin(), attributes().end(),
                           [](const attribute& a) { return a.ty.has_dynamic(); });
    case kind::tuple:
        return std::any_of(elements().begin(), elements().end(),
                           [](const type& e) { return e.has_dynamic(); });
    default: return false;
    }
}

std::string type::json() const
{
    switch (k())
    {
    case kind::dynamic: return "\"dynamic\"";
    case kind::string: return "\"string\"";
    case kind::number: return "\"number\"";
    case kind::boolean: return "\"bool\"";
    case kind::list: return "[\"list\"," + element().json() + "]";
    case kind::set: return "[\"set\"," + element().json() + "]";
    case kind::map: return "[\"map\"," + element().json() + "]";
    case kind::object:
    {
        std::string out = "[\"object\",{";
        bool first = true, any_optional = false;
        for (const auto& a : attributes())
        {
            if (!first)
                out += ',';
            first = false;
            detail::append_json_string(out, a.name);
            out += ':';
            out += a.ty.json();
            any_optional = any_optional || a.optional;
        }
        out += '}';
        if (any_optional)
        {
            out += ",[";
            first = true;
            for (const auto& a : attributes())
            {
                if (!a.optional)
                    continue;
                if (!first)
                    out += ',';
                first = false;
                detail::append_json_string(out, a.name);
            }
            out += ']';
        }
        return out + "]";
    }
    case kind::tuple:
    {
        std::string out = "[\"tuple\",[";
        bool first = true;
        for (const auto& e : elements())
        {
            if (!first)
                out += ',';
            first = false;
            out += e.json();
        }
        return out + "]]";
    }
    }
    return "\"dynamic\"";
}

std::string type::friendly_name() const
{
    switch (k())
    {
    case kind::dynamic: return "dynamic";
    case kind::string: return "string";
    case kind::number: return "number";
    case kind::boolean: return "bool";
    case kind::list: return "list of " + element().friendly_name();
    case kind::set: return "set of " + element().friendly_name();
    case kind::map: return "map of " + element().friendly_name();
    case kind::object: return "object";
    case kind::tuple: return "tuple";
    }
    return "dynamic";
}

bool operator==(const type& a, const type& b)
{
    if (a.n_ == b.n_)
        return true;
    if (a.k() != b.k())
        return false;
    switch (a.k())
    {
    case type::kind::list:
    case type::kind::set:
    case type::kind::map: return a.element() == b.element();
    case type::kind::object:
    {
        const auto& x = a.attributes();
        const auto& y = b.attributes();
        if (x.size() != y.size())
            return false;
        for (std::size_t i = 0; i < x.size(); ++i)
            if (x[i].name != y[i].name || x[i].optional != y[i].optional || !(x[i].ty == y[i].ty))
                return false;
        return true;
    }
    case type::kind::tuple: return a.elements() == b.elements();
    default: return true;
    }
}

bool conforms(const type& actual, const type& expected)
{
    if (expected.is_dynamic())
        return true;
    if (actual.k() != expected.k())
        return false;
    switch (expected.k())
    {
    case type::kind::list:
    case type::kind::set:
    case type::kind::map: return conforms(actual.element(), expected.element());
    case type::kind::object:
    {
        const auto& x = actual.attributes();
        const auto& y = expected.attributes();
        if (x.size() != y.size())
            return false;
        for (std::size_t i = 0; i < x.size(); ++i)
            if (x[i].name != y[i].name || !conforms(x[i].ty, y[i].ty))
                return false;
        return true;
    }
    case type::kind::tuple:
    {
        const auto& x = actual.elements();
        const auto& y = expected.elements();
        if (x.size() != y.size())
            return false;
        for (std::size_t i = 0; i < x.size(); ++i)
            if (!conforms(x[i], y[i]))
                return false;
        return true;
    }
    default: return true;
    }
}

namespace
{

using detail::json_node;

result<type> type_from_node(const json_node& n, std::size_t depth)
{
    if (depth == 0)
        return error{{}, "type description nested too deeply"};
    if (n.k == json_node::kind::string)
    {
        if (n.text == "string")
            return type::string();
        if (n.text == "number")
            return type::number();
        if (n.text == "bool")
            return type::boolean();
        if (n.text == "dynamic")
            return type::dynamic();
        return error{{}, "invalid primitive type name \"" + n.text + "\""};
    }
    if (n.k != json_node::kind::array)
        return error{{}, "invalid type description"};
    if (n.items.empty() || n.items[0].k != json_node::kind::string)
        return error{{}, "invalid complex type kind name"};
    const std::string& kind_name = n.items[0].text;
    bool is_object = kind_name == "object";
    std::size_t max_items = is_object ? 3 : 2;
    if (n.items.size() < 2)
        return error{{}, "invalid complex type description"};
    if (n.items.size() > max_items)
        return error{{}, "unexpected extra data in type description"};
    const json_node& arg = n.items[1];
    if (kind_name == "list" || kind_name == "set" || kind_name == "map")
    {
        auto e = type_from_node(arg, depth - 1);
        if (!e)
            return e.error();
        if (kind_name == "list")
            return type::list(*e);
        if (kind_name == "set")
            return type::set(*e);
        return type::map(*e);
    }
    if (is_object)
    {
        if (arg.k != json_node::kind::object)
            return error{{}, "object type attributes must be a JSON object"};
        std::vector<std::pair<std::string, type>> attrs;
        for (const auto& [name, t] : arg.members)
        {
            auto at = type_from_node(t, depth - 1);
            if (!at)
                return at.error();
            attrs.emplace_back(name, *at);
        }
        std::vector<std::string> optional;
        if (n.items.size() == 3)
        {
            const json_node& opt = n.items[2];
            if (opt.k != json_node::kind::array)
                return error{{}, "optional attributes must be a JSON array of names"};
            for (const auto& o : opt.items)
            {
                if (o.k != json_node::kind::string)
                    return error{{}, "optional attributes must be a JSON array of names"};
                bool present = std::any_of(attrs.begin(), attrs.end(),
                                           [&](const auto& a) { return a.first == o.text; });
                if (!present)
                    return error{{}, "optional attribute \"" + o.text + "\" is not an attribute"};
                optional.push_back(o.text);
            }
        }
        return type::object(std::move(attrs), optional);
    }
    if (kind_name == "tuple")
    {
        if (arg.k != json_node::kind::array)
            return error{{}, "tuple element types must be a JSON array"};
        std::vector<type> es;
        for (const auto& e : arg.items)
        {
            auto et = type_from_node(e, depth - 1);
            if (!et)
                return et.error();
            es.push_back(*et);
        }
        return type::tuple(std::move(es));
    }
    return error{{}, "invalid complex type kind name"};
}

} // namespace

result<type> parse_type_json(std::string_view json, std::size_t max_depth)
{
    auto doc = detail::parse_json(json, max_depth + 2);
    if (!doc)
        return doc.error();
    return type_from_node(*doc, max_depth);
}

} // namespace rpcplugin::terraform
