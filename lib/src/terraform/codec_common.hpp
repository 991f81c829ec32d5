#pragma once

// What the value codecs (JSON and msgpack, each way) share: the walk's state and error, and
// the check both encoders make before writing a known, non-null value against its type.

#include <rpcplugin/terraform/codec.hpp>
#include <rpcplugin/terraform/path.hpp>
#include <rpcplugin/terraform/type.hpp>
#include <rpcplugin/terraform/value.hpp>

#include <string>
#include <utility>

namespace rpcplugin::terraform::detail
{

/// Where an encoder or decoder is in the value, and the first error it met.
struct walk_state
{
    attribute_path path;
    error err;

    /// Records `msg` at the current path; returns false (`return fail(...)`).
    bool fail(std::string msg)
    {
        err = error{path, std::move(msg)};
        return false;
    }

    /// Calls `each(attribute, its value)` for every attribute of the object type `t`, in
    /// the type's order, with the path at that attribute; fails when `v` lacks one.
    template <class Each>
    bool for_each_attribute(const value& v, const type& t, Each&& each)
    {
        for (const auto& a : t.attributes())
        {
            path.push_back(path_step::attr(a.name));
            const value* e = v.get(a.name);
            if (!e)
                return fail("attribute is missing");
            if (!each(a, *e))
                return false;
            path.pop_back();
        }
        return true;
    }
};

/// Runs `Encoder` (a walk_state with `out` and `encode(value, type)`) over `v`.
template <class Encoder>
result<std::string> run_encoder(const value& v, const type& t)
{
    Encoder e;
    if (!e.encode(v, t.without_optional()))
        return e.err;
    return std::move(e.out);
}

/// Why `v` cannot be encoded as `t`: a different kind, a tuple of another length, or an
/// object attribute `t` does not have (whose step is then appended to `path`). Empty when
/// it can.
inline std::string encode_mismatch(const value& v, const type& t, attribute_path& path)
{
    if (v.ty().k() != t.k() ||
        (t.k() == type::kind::tuple && v.elements().size() != t.elements().size()))
        return "a value of type " + v.ty().friendly_name() + " cannot be encoded as " +
               t.friendly_name();
    if (t.k() == type::kind::object)
        for (const auto& [k, e] : v.items())
            if (!t.find(k))
            {
                path.push_back(path_step::attr(k));
                return "unsupported attribute";
            }
    return {};
}

} // namespace rpcplugin::terraform::detail
