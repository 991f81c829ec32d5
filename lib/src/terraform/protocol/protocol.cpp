#include <rpcplugin/terraform/protocol.hpp>

namespace rpcplugin::terraform
{
namespace
{

template <class Attr>
void attribute_flags(const attribute& a, Attr& out)
{
    out.set_name(a.name);
    out.set_description(a.description);
    out.set_required(a.required);
    out.set_optional(a.optional);
    out.set_computed(a.computed);
    out.set_sensitive(a.sensitive);
    out.set_deprecated(a.deprecated);
    out.set_write_only(a.write_only);
    out.set_description_kind(a.markdown ? decltype(out.description_kind())(1)
                                        : decltype(out.description_kind())(0));
}

// Protocol 6: nested attributes are Schema.Object.
result<void> fill_attribute(const attribute& a, tfplugin6::Schema::Attribute& out)
{
    attribute_flags(a, out);
    if (!a.nested)
    {
        out.set_type(a.ty.json());
        return {};
    }
    auto* obj = out.mutable_nested_type();
    switch (a.nested->mode)
    {
    case nesting::list: obj->set_nesting(tfplugin6::Schema::Object::LIST); break;
    case nesting::set: obj->set_nesting(tfplugin6::Schema::Object::SET); break;
    case nesting::map: obj->set_nesting(tfplugin6::Schema::Object::MAP); break;
    default: obj->set_nesting(tfplugin6::Schema::Object::SINGLE);
    }
    for (const auto& na : a.nested->attributes)
    {
        auto r = fill_attribute(na, *obj->add_attributes());
        if (!r)
            return r;
    }
    return {};
}

result<void> fill_attribute(const attribute& a, tfplugin5::Schema::Attribute& out)
{
    if (a.nested)
        return error{{path_step::attr(a.name)}, "protocol 5 cannot express nested attributes"};
    attribute_flags(a, out);
    out.set_type(a.ty.json());
    return {};
}

template <class Block>
result<void> fill_block(const block& b, Block& out)
{
    out.set_description(b.description);
    out.set_description_kind(b.markdown ? decltype(out.description_kind())(1)
                                        : decltype(out.description_kind())(0));
    out.set_deprecated(b.deprecated);
    for (const auto& a : b.attributes)
    {
        auto r = fill_attribute(a, *out.add_attributes());
        if (!r)
            return r;
    }
    for (const auto& nb : b.blocks)
    {
        auto* p = out.add_block_types();
        p->set_type_name(nb.type_name);
        p->set_nesting(static_cast<decltype(p->nesting())>(static_cast<int>(nb.mode)));
        p->set_min_items(nb.min_items);
        p->set_max_items(nb.max_items);
        auto r = fill_block(nb.body, *p->mutable_block());
        if (!r)
        {
            auto e = r.error();
            e.path.insert(e.path.begin(), path_step::attr(nb.type_name));
            return e;
        }
    }
    return {};
}

template <class Schema>
result<void> schema_to_proto(const schema& s, Schema& out)
{
    out.set_version(s.version);
    return fill_block(s.body, *out.mutable_block());
}

template <class Path>
void path_to_proto(const attribute_path& p, Path& out)
{
    for (const auto& s : p)
    {
        auto* step = out.add_steps();
        switch (s.k)
        {
        case path_step::kind::attribute: step->set_attribute_name(s.name); break;
        case path_step::kind::key: step->set_element_key_string(s.name); break;
        case path_step::kind::index: step->set_element_key_int(s.index); break;
        }
    }
}

template <class Path>
attribute_path path_from_proto(const Path& p)
{
    attribute_path out;
    for (const auto& s : p.steps())
    {
        if (s.has_attribute_name())
            out.push_back(path_step::attr(s.attribute_name()));
        else if (s.has_element_key_string())
            out.push_back(path_step::map_key(s.element_key_string()));
        else if (s.has_element_key_int())
            out.push_back(path_step::at(s.element_key_int()));
    }
    return out;
}

template <class Diag>
void diag_to_proto(const diagnostic& d, Diag& out)
{
    out.set_severity(d.severity == diagnostic::severity_kind::error ? Diag::ERROR : Diag::WARNING);
    out.set_summary(d.summary);
    out.set_detail(d.detail);
    if (!d.path.empty())
        path_to_proto(d.path, *out.mutable_attribute());
}

template <class DV>
result<value> dv_decode(const DV& dv, const type& t)
{
    if (!dv.msgpack().empty())
        return from_msgpack(dv.msgpack(), t);
    if (!dv.json().empty())
        return from_json(dv.json(), t);
    return value::null(t.without_optional());
}

template <class Param>
void parameter_to_proto(const function::parameter& prm, Param& out)
{
    out.set_name(prm.name);
    out.set_type(prm.ty.json());
    out.set_allow_null_value(prm.allow_null);
    out.set_allow_unknown_values(prm.allow_unknown);
    out.set_description(prm.description);
}

template <class Fn>
void function_to_proto(const function& f, Fn& out)
{
    for (const auto& prm : f.parameters)
        parameter_to_proto(prm, *out.add_parameters());
    if (f.variadic)
        parameter_to_proto(*f.variadic, *out.mutable_variadic_parameter());
    out.mutable_return_()->set_type(f.returns.json());
    out.set_summary(f.summary);
    out.set_description(f.description);
}

template <class DV>
result<void> dv_encode(const value& v, const type& t, DV& out)
{
    auto mp = to_msgpack(v, t);
    if (!mp)
        return mp.error();
    out.set_msgpack(std::move(*mp));
    out.clear_json();
    return {};
}

} // namespace

result<void> to_proto(const schema& s, tfplugin6::Schema& out)
{
    return schema_to_proto(s, out);
}
result<void> to_proto(const schema& s, tfplugin5::Schema& out)
{
    return schema_to_proto(s, out);
}
void to_proto(const attribute_path& p, tfplugin6::AttributePath& out)
{
    path_to_proto(p, out);
}
void to_proto(const attribute_path& p, tfplugin5::AttributePath& out)
{
    path_to_proto(p, out);
}
attribute_path from_proto(const tfplugin6::AttributePath& p)
{
    return path_from_proto(p);
}
attribute_path from_proto(const tfplugin5::AttributePath& p)
{
    return path_from_proto(p);
}
void to_proto(const diagnostic& d, tfplugin6::Diagnostic& out)
{
    diag_to_proto(d, out);
}
void to_proto(const diagnostic& d, tfplugin5::Diagnostic& out)
{
    diag_to_proto(d, out);
}
void to_proto(const function& f, tfplugin6::Function& out)
{
    function_to_proto(f, out);
}
void to_proto(const function& f, tfplugin5::Function& out)
{
    function_to_proto(f, out);
}
result<value> decode(const tfplugin6::DynamicValue& dv, const type& t)
{
    return dv_decode(dv, t);
}
result<value> decode(const tfplugin5::DynamicValue& dv, const type& t)
{
    return dv_decode(dv, t);
}
result<void> encode(const value& v, const type& t, tfplugin6::DynamicValue& out)
{
    return dv_encode(v, t, out);
}
result<void> encode(const value& v, const type& t, tfplugin5::DynamicValue& out)
{
    return dv_encode(v, t, out);
}

diagnostic decode_error(const error& e, const std::string& what)
{
    return diagnostic::error("Invalid " + what, e.message, e.path);
}

} // namespace rpcplugin::terraform
