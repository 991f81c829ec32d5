#pragma once

#include <rpcplugin/terraform/value.hpp>

#include <string>
#include <string_view>

namespace rpcplugin::terraform
{

/**
 * DynamicValue.msgpack, byte for byte as go-cty's `cty/msgpack.Marshal(v, t)` writes it:
 * null `c0`, unknown `d4 00 00`, numbers as the smallest integer form when they are integers
 * in int64 range, else float64 when exact, else their decimal text; objects as maps of every
 * attribute sorted by name; values in a dynamic position as `[bin type-JSON, value]`.
 *
 * `v` must conform to `t` (see conforms()); marks are not encoded.
 */
result<std::string> to_msgpack(const value& v, const type& t);

/**
 * Decodes DynamicValue.msgpack against `t` as go-cty's `cty/msgpack.Unmarshal` does, with
 * these differences, all stricter: trailing bytes, a missing or repeated object attribute, an
 * empty map where an object with attributes is wanted, an empty array for a non-empty tuple,
 * NaN, and extensions other than unknowns (payload of at most one byte, or type 12, the
 * refined unknown, whose refinements are dropped) are errors. Every error names the attribute
 * path where it was found. Never throws on any input.
 */
result<value> from_msgpack(std::string_view bytes, const type& t);

/**
 * DynamicValue.json / state JSON as go-cty's `cty/json.Marshal(v, t)` writes it (Go's string
 * escaping, object keys sorted, numbers as plain decimal text, dynamic values as
 * `{"value":...,"type":...}`). Unknown values and infinities cannot be written: error.
 */
result<std::string> to_json(const value& v, const type& t);

/**
 * Decodes cty JSON against `t` as go-cty's `cty/json.Unmarshal` does: missing object
 * attributes are null, an unknown attribute is an error, numbers keep their exact decimal
 * text, strings are accepted for numbers and bools and numbers/bools for strings. Used for
 * DynamicValue.json and RawState.json.
 */
result<value> from_json(std::string_view json, const type& t);

} // namespace rpcplugin::terraform
