// DynamicValue.json and RawState.json: go-cty's cty/json encoding.

#include <rpcplugin/terraform/codec.hpp>

#include "codec_common.hpp"
#include "go_text.hpp"
#include "json_dom.hpp"

#include <algorithm>

namespace rpcplugin::terraform
{
namespace
{

using detail::json_node;

class json_encoder : public detail::walk_state
{
public:
    std::string out;

    bool encode(const value& v, const type& t)
    {
        if (t.is_dynamic() && !v.ty().is_dynamic())
        {
            // go-cty writes the value first; an unknown here is an error (go-cty 1.12 wrote
            // broken JSON instead).
            out += "{\"value\":";
            if (!encode(v, v.ty()))
                return false;
            out += ",\"type\":";
            out += v.ty().json();
            out += '}';
            return true;
        }
        if (v.is_null())
        {
            out += "null";
            return true;
        }
        if (!v.is_known())
            return fail("value is not known");
        if (auto why = detail::encode_mismatch(v, t, path); !why.empty())
            return fail(why);
        switch (t.k())
        {
        case type::kind::string: detail::append_json_string(out, v.as_string()); return true;
        case type::kind::number:
            if (v.as_number().is_infinity())
                return fail("cannot serialize infinity as JSON");
            out += v.as_number().text();
            return true;
        case type::kind::boolean: out += v.as_bool() ? "true" : "false"; return true;
        case type::kind::list:
        case type::kind::set:
        case type::kind::tuple:
        {
            out += '[';
            const auto& es = v.elements();
            for (std::size_t i = 0; i < es.size(); ++i)
            {
                if (i)
                    out += ',';
                path.push_back(path_step::at(static_cast<std::int64_t>(i)));
                const type& et = t.k() == type::kind::tuple ? t.elements()[i] : t.element();
                if (!encode(es[i], et))
                    return false;
                path.pop_back();
            }
            out += ']';
            return true;
        }
        case type::kind::map:
        {
            out += '{';
            bool first = true;
            for (const auto& [k, e] : v.items())
            {
                if (!first)
                    out += ',';
                first = false;
                path.push_back(path_step::map_key(k));
                detail::append_json_string(out, k);
                out += ':';
                if (!encode(e, t.element()))
                    return false;
                path.pop_back();
            }
            out += '}';
            return true;
        }
        case type::kind::object:
        {
            out += '{';
            bool first = true;
            bool ok = for_each_attribute(v, t,
                                         [&](const auto& a, const value& e)
                                         {
                                             if (!first)
                                                 out += ',';
                                             first = false;
                                             detail::append_json_string(out, a.name);
                                             out += ':';
                                             return encode(e, a.ty);
                                         });
            out += '}';
            return ok;
        }
        case type::kind::dynamic: return true;
        }
        return true;
    }
};

class json_decoder : public detail::walk_state
{
public:
    bool decode(const json_node& n, const type& t, value& out)
    {
        if (n.k == json_node::kind::null)
        {
            out = value::null(t);
            return true;
        }
        switch (t.k())
        {
        case type::kind::dynamic: return decode_dynamic(n, out);
        case type::kind::string:
            if (n.k == json_node::kind::string || n.k == json_node::kind::number)
                out = value::string(n.text);
            else if (n.k == json_node::kind::boolean)
                out = value::string(n.b ? "true" : "false");
            else
                return fail("string is required");
            return true;
        case type::kind::number:
        {
            if (n.k != json_node::kind::number && n.k != json_node::kind::string)
                return fail("number is required");
            auto num = number::parse(n.text);
            if (!num)
                return fail(n.k == json_node::kind::string ? "a number is required"
                                                           : "invalid number");
            out = value::num(*num);
            return true;
        }
        case type::kind::boolean:
            if (n.k == json_node::kind::boolean)
                out = value::boolean(n.b);
            else if (n.k == json_node::kind::string && (n.text == "true" || n.text == "false"))
                out = value::boolean(n.text == "true");
            else
                return fail("bool is required");
            return true;
        case type::kind::list:
        case type::kind::set:
        case type::kind::tuple: return decode_sequence(n, t, out);
        case type::kind::map: return decode_map(n, t, out);
        case type::kind::object: return decode_object(n, t, out);
        }
        return fail("unsupported type");
    }

    bool decode_sequence(const json_node& n, const type& t, value& out)
    {
        if (n.k != json_node::kind::array)
            return fail(t.k() == type::kind::list  ? "a list is required"
                        : t.k() == type::kind::set ? "a set is required"
                                                   : "a tuple is required");
        if (t.k() == type::kind::tuple && n.items.size() != t.elements().size())
            return fail("a tuple of length " + std::to_string(t.elements().size()) +
                        " is required");
        std::vector<value> es;
        for (std::size_t i = 0; i < n.items.size(); ++i)
        {
            path.push_back(path_step::at(static_cast<std::int64_t>(i)));
            value e;
            const type& et = t.k() == type::kind::tuple ? t.elements()[i] : t.element();
            if (!decode(n.items[i], et, e))
                return false;
            path.pop_back();
            es.push_back(std::move(e));
        }
        if (t.k() == type::kind::list)
            out = value::list(t.element(), std::move(es));
        else if (t.k() == type::kind::set)
            out = value::set(t.element(), std::move(es));
        else
            out = value::tuple(std::move(es));
        return true;
    }

    bool decode_map(const json_node& n, const type& t, value& out)
    {
        if (n.k != json_node::kind::object)
            return fail("a map is required");
        value::entries items;
        for (const auto& [k, e] : n.members)
        {
            path.push_back(path_step::map_key(k));
            value ev;
            if (!decode(e, t.element(), ev))
                return false;
            path.pop_back();
            items.emplace_back(k, std::move(ev));
        }
        out = value::map(t.element(), std::move(items));
        return true;
    }

    bool decode_object(const json_node& n, const type& t, value& out)
    {
        if (n.k != json_node::kind::object)
            return fail("an object is required");
        value::entries items;
        for (const auto& [k, e] : n.members)
        {
            path.push_back(path_step::attr(k));
            const type::attribute* a = t.find(k);
            if (!a)
                return fail("unsupported attribute \"" + k + "\"");
            value ev;
            if (!decode(e, a->ty, ev))
                return false;
            path.pop_back();
            items.emplace_back(k, std::move(ev));
        }
        // Missing attributes are null; a repeated one keeps its last value.
        out = value::object(t, std::move(items));
        return true;
    }

    bool decode_dynamic(const json_node& n, value& out)
    {
        if (n.k != json_node::kind::object)
            return fail("a dynamic value must be an object with \"value\" and \"type\"");
        const json_node* v = nullptr;
        const json_node* t = nullptr;
        for (const auto& [k, e] : n.members)
        {
            if (k == "value")
                v = &e;
            else if (k == "type")
                t = &e;
            else
                return fail("invalid key \"" + k + "\" in dynamically-typed value");
        }
        if (!v || !t)
            return fail("a dynamic value must have \"value\" and \"type\"");
        // The type is JSON inside the document: re-read it from the tree.
        auto ty = type_from_tree(*t);
        if (!ty)
            return fail("invalid type of a dynamic value: " + ty.error().message);
        return decode(*v, ty->without_optional(), out);
    }

    static result<type> type_from_tree(const json_node& n)
    {
        std::string text;
        write(n, text);
        return parse_type_json(text);
    }

    static void write(const json_node& n, std::string& out)
    {
        switch (n.k)
        {
        case json_node::kind::null: out += "null"; return;
        case json_node::kind::boolean: out += n.b ? "true" : "false"; return;
        case json_node::kind::number: out += n.text; return;
        case json_node::kind::string: detail::append_json_string(out, n.text); return;
        case json_node::kind::array:
            out += '[';
            for (std::size_t i = 0; i < n.items.size(); ++i)
            {
                if (i)
                    out += ',';
                write(n.items[i], out);
            }
            out += ']';
            return;
        case json_node::kind::object:
            out += '{';
            for (std::size_t i = 0; i < n.members.size(); ++i)
            {
                if (i)
                    out += ',';
                detail::append_json_string(out, n.members[i].first);
                out += ':';
                write(n.members[i].second, out);
            }
            out += '}';
            return;
        }
    }
};

} // namespace

result<std::string> to_json(const value& v, const type& t)
{
    return detail::run_encoder<json_encoder>(v, t);
}

result<value> from_json(std::string_view json, const type& t)
{
    auto doc = detail::parse_json(json);
    if (!doc)
        return doc.error();
    json_decoder d;
    value v;
    if (!d.decode(*doc, t.without_optional(), v))
        return d.err;
    return v;
}

} // namespace rpcplugin::terraform
