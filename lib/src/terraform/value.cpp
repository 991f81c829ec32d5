#include <rpcplugin/terraform/value.hpp>

#include "go_text.hpp"

#include <algorithm>
#include <stdexcept>

namespace rpcplugin::terraform
{
namespace
{

// go-cty's appendSetHashBytes: the text its set rules order non-primitive elements by.
void append_hash_bytes(const value& v, std::string& out)
{
    if (!v.is_known())
    {
        out += '?';
        return;
    }
    if (v.is_null())
    {
        out += '~';
        return;
    }
    switch (v.ty().k())
    {
    case type::kind::number: out += v.as_number().text_g10(); return;
    case type::kind::boolean: out += v.as_bool() ? 'T' : 'F'; return;
    case type::kind::string: out += detail::go_quote(v.as_string()); return;
    case type::kind::map:
        out += '{';
        for (const auto& [k, e] : v.items())
        {
            out += detail::go_quote(k);
            out += ':';
            append_hash_bytes(e, out);
            out += ';';
        }
        out += '}';
        return;
    case type::kind::list:
    case type::kind::set:
        out += '[';
        for (const auto& e : v.elements())
        {
            append_hash_bytes(e, out);
            out += ';';
        }
        out += ']';
        return;
    case type::kind::object:
        out += '<';
        for (const auto& [k, e] : v.items())
        {
            append_hash_bytes(e, out);
            out += ';';
        }
        out += '>';
        return;
    case type::kind::tuple:
        out += '<';
        for (const auto& e : v.elements())
        {
            append_hash_bytes(e, out);
            out += ';';
        }
        out += '>';
        return;
    case type::kind::dynamic: return;
    }
}

std::string hash_bytes(const value& v)
{
    std::string s;
    append_hash_bytes(v, s);
    return s;
}

[[noreturn]] void wrong_kind(const char* what)
{
    throw std::logic_error(std::string("cty value is not a known ") + what);
}

} // namespace

value::value() = default;

value value::null(type t)
{
    value v;
    v.ty_ = std::move(t);
    v.state_ = state::null;
    return v;
}

value value::unknown(type t)
{
    value v;
    v.ty_ = std::move(t);
    v.state_ = state::unknown;
    return v;
}

value value::string(std::string s)
{
    value v;
    v.ty_ = type::string();
    v.state_ = state::known;
    v.v_ = std::move(s);
    return v;
}

value value::num(number n)
{
    value v;
    v.ty_ = type::number();
    v.state_ = state::known;
    v.v_ = std::move(n);
    return v;
}

value value::boolean(bool b)
{
    value v;
    v.ty_ = type::boolean();
    v.state_ = state::known;
    v.v_ = b;
    return v;
}

value value::list(type element, std::vector<value> elements)
{
    value v;
    v.ty_ = type::list(std::move(element));
    v.state_ = state::known;
    v.v_ = std::move(elements);
    return v;
}

value value::set(type element, std::vector<value> elements)
{
    // go-cty keeps the first of equivalent elements and iterates in a stable sort by its set
    // rules' Less over its hash buckets; elements that tie under Less share a bucket, where
    // insertion order holds, so a stable sort of the input reproduces its order. Ties are
    // exactly the candidates for duplicates, so duplicates are removed within runs of ties.
    struct keyed
    {
        std::string hash;
        value v;
    };
    bool primitive = element.is_primitive();
    std::vector<keyed> ks;
    ks.reserve(elements.size());
    for (auto& e : elements)
        ks.push_back({primitive ? std::string() : hash_bytes(e), std::move(e)});
    auto less = [&](const keyed& a, const keyed& b)
    {
        if (primitive)
            return set_less(element, a.v, b.v);
        if (a.v == b.v)
            return false;
        if (b.v.is_null() && !a.v.is_null())
            return true;
        if (a.v.is_null())
            return false;
        if (a.v.is_known() && !b.v.is_known())
            return true;
        if (!a.v.is_known())
            return false;
        return a.hash < b.hash;
    };
    std::stable_sort(ks.begin(), ks.end(), less);
    std::vector<value> kept;
    std::vector<const keyed*> kept_keys;
    std::size_t run_start = 0;
    for (const auto& k : ks)
    {
        if (!kept_keys.empty() && less(*kept_keys.back(), k))
            run_start = kept.size();
        bool dup = false;
        for (std::size_t i = run_start; i < kept.size() && !dup; ++i)
            dup = set_equivalent(kept[i], k.v);
        if (!dup)
        {
            kept.push_back(k.v);
            kept_keys.push_back(&k);
        }
    }
    value v;
    v.ty_ = type::set(std::move(element));
    v.state_ = state::known;
    v.v_ = std::move(kept);
    return v;
}

value value::map(type element, entries items)
{
    std::stable_sort(items.begin(), items.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    // A repeated key keeps its last value.
    entries unique;
    for (auto& it : items)
    {
        if (!unique.empty() && unique.back().first == it.first)
            unique.back().second = std::move(it.second);
        else
            unique.push_back(std::move(it));
    }
    value v;
    v.ty_ = type::map(std::move(element));
    v.state_ = state::known;
    v.v_ = std::move(unique);
    return v;
}

value value::object(entries attributes)
{
    std::stable_sort(attributes.begin(), attributes.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    entries unique;
    for (auto& it : attributes)
    {
        if (!unique.empty() && unique.back().first == it.first)
            unique.back().second = std::move(it.second);
        else
            unique.push_back(std::move(it));
    }
    std::vector<std::pair<std::string, type>> types;
    for (const auto& [k, e] : unique)
        types.emplace_back(k, e.ty());
    value v;
    v.ty_ = type::object(std::move(types));
    v.state_ = state::known;
    v.v_ = std::move(unique);
    return v;
}

value value::object(const type& t, entries attributes)
{
    entries full;
    for (const auto& a : t.attributes())
    {
        auto it = std::find_if(attributes.begin(), attributes.end(),
                               [&](const auto& x) { return x.first == a.name; });
        full.emplace_back(a.name, it != attributes.end() ? std::move(it->second)
                                                         : value::null(a.ty.without_optional()));
    }
    value v;
    v.ty_ = t.without_optional();
    v.state_ = state::known;
    v.v_ = std::move(full);
    return v;
}

value value::tuple(std::vector<value> elements)
{
    std::vector<type> types;
    for (const auto& e : elements)
        types.push_back(e.ty());
    value v;
    v.ty_ = type::tuple(std::move(types));
    v.state_ = state::known;
    v.v_ = std::move(elements);
    return v;
}

bool value::is_wholly_known() const
{
    if (state_ == state::unknown)
        return false;
    if (auto* es = std::get_if<std::vector<value>>(&v_))
        return std::all_of(es->begin(), es->end(),
                           [](const value& e) { return e.is_wholly_known(); });
    if (auto* items = std::get_if<entries>(&v_))
        return std::all_of(items->begin(), items->end(),
                           [](const auto& e) { return e.second.is_wholly_known(); });
    return true;
}

value value::mark_sensitive(bool on) const
{
    value v = *this;
    v.sensitive_ = on;
    return v;
}

const std::string& value::as_string() const
{
    if (auto* s = std::get_if<std::string>(&v_); s && state_ == state::known)
        return *s;
    wrong_kind("string");
}

const number& value::as_number() const
{
    if (auto* n = std::get_if<number>(&v_); n && state_ == state::known)
        return *n;
    wrong_kind("number");
}

bool value::as_bool() const
{
    if (auto* b = std::get_if<bool>(&v_); b && state_ == state::known)
        return *b;
    wrong_kind("bool");
}

const std::vector<value>& value::elements() const
{
    if (auto* es = std::get_if<std::vector<value>>(&v_); es && state_ == state::known)
        return *es;
    wrong_kind("list, set or tuple");
}

const value::entries& value::items() const
{
    if (auto* items = std::get_if<entries>(&v_); items && state_ == state::known)
        return *items;
    wrong_kind("map or object");
}

const value* value::get(std::string_view name) const
{
    auto* items = std::get_if<entries>(&v_);
    if (!items || state_ != state::known)
        return nullptr;
    auto it = std::lower_bound(items->begin(), items->end(), name,
                               [](const auto& e, std::string_view k) { return e.first < k; });
    return it != items->end() && it->first == name ? &it->second : nullptr;
}

bool operator==(const value& a, const value& b)
{
    if (a.state_ != b.state_ || a.sensitive_ != b.sensitive_ || !(a.ty_ == b.ty_))
        return false;
    if (a.state_ != value::state::known)
        return true;
    return a.v_ == b.v_;
}

bool set_equivalent(const value& a, const value& b)
{
    if (!a.is_wholly_known() || !b.is_wholly_known())
        return false;
    if (a.is_null() || b.is_null())
        return a.is_null() && b.is_null();
    if (!(a.ty() == b.ty()))
        return false;
    switch (a.ty().k())
    {
    case type::kind::number: return a.as_number() == b.as_number();
    case type::kind::string: return a.as_string() == b.as_string();
    case type::kind::boolean: return a.as_bool() == b.as_bool();
    case type::kind::list:
    case type::kind::set:
    case type::kind::tuple:
    {
        const auto& x = a.elements();
        const auto& y = b.elements();
        return x.size() == y.size() && std::equal(x.begin(), x.end(), y.begin(), set_equivalent);
    }
    case type::kind::map:
    case type::kind::object:
    {
        const auto& x = a.items();
        const auto& y = b.items();
        return x.size() == y.size() &&
               std::equal(x.begin(), x.end(), y.begin(),
                          [](const auto& p, const auto& q)
                          { return p.first == q.first && set_equivalent(p.second, q.second); });
    }
    case type::kind::dynamic: return true;
    }
    return false;
}

bool set_less(const type& element, const value& a, const value& b)
{
    if (a == b)
        return false;
    if (b.is_null() && !a.is_null())
        return true;
    if (a.is_null())
        return false;
    if (a.is_known() && !b.is_known())
        return true;
    if (!a.is_known())
        return false;
    // The set's element type decides; other types (dynamic too) order by hash text.
    {
        switch (element.k())
        {
        case type::kind::string: return a.as_string() < b.as_string();
        case type::kind::boolean: return b.as_bool() || !a.as_bool();
        case type::kind::number: return a.as_number() < b.as_number();
        default: break;
        }
    }
    return hash_bytes(a) < hash_bytes(b);
}

} // namespace rpcplugin::terraform
