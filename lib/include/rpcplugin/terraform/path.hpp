#pragma once

#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include <cstdint>
#include <ostream>
#include <string>
#include <variant>
#include <vector>

namespace rpcplugin::terraform
{

/// One step of an attribute path: an object attribute, a map key or a list/tuple index.
/// These are exactly the steps Terraform's AttributePath can carry (set elements cannot be
/// addressed: a path into a set stops at the set).
struct path_step
{
    /// What the step addresses (AttributePath.Step's three forms).
    enum class kind : std::uint8_t
    {
        attribute, ///< an object attribute, by `name` (attribute_name)
        key,       ///< a map element, by key in `name` (element_key_string)
        index      ///< a list or tuple element, by `index` (element_key_int)
    };
    /// Which of `name` and `index` the step uses.
    kind k = kind::attribute;
    /// The attribute name or map key; empty for an index step.
    std::string name;
    /// The zero-based list or tuple index; 0 for the other steps.
    std::int64_t index = 0;

    /// The step to the object attribute `n`.
    static path_step attr(std::string n) { return {kind::attribute, std::move(n), 0}; }
    /// The step to the map element with key `k`.
    static path_step map_key(std::string k) { return {kind::key, std::move(k), 0}; }
    /// The step to the list or tuple element at zero-based index `i`.
    static path_step at(std::int64_t i) { return {kind::index, {}, i}; }
    /// Member-wise equality (kind, name and index).
    friend bool operator==(const path_step&, const path_step&) = default;
};

/// A path from the root of a value to one of its parts; empty: the value itself.
using attribute_path = std::vector<path_step>;

/// Renders a path as Terraform shows one: `.a.b["key"][0]`; the empty path is "".
std::string to_string(const attribute_path& p);

/**
 * A decoding or encoding failure: what is wrong and where in the value.
 *
 * `message` follows go-cty's wording where go-cty has one ("an object with 3 attributes is
 * required (2 given)", "number is required", "unsupported attribute").
 */
struct error
{
    /// Where the problem is, from the root of the value being decoded or encoded.
    attribute_path path;
    /// What is wrong, without the path.
    std::string message;

    /// "at .a[0]: message", or the bare message at the root.
    std::string what() const;
};

/// Writes what() to `os`.
inline std::ostream& operator<<(std::ostream& os, const error& e)
{
    return os << e.what();
}

/// Throws std::runtime_error(e.what()); used by result<T>::value() on an error.
[[noreturn]] void throw_exception_from_error(const error& e, const boost::source_location& loc);

/// A `T` or the error that prevented it; `value()` on an error throws std::runtime_error.
template <class T>
using result = boost::system::result<T, error>;

} // namespace rpcplugin::terraform
