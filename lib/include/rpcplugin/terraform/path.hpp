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
    enum class kind : std::uint8_t
    {
        attribute,
        key,
        index
    };
    kind k = kind::attribute;
    std::string name; // attribute name or map key
    std::int64_t index = 0;

    static path_step attr(std::string n) { return {kind::attribute, std::move(n), 0}; }
    static path_step map_key(std::string k) { return {kind::key, std::move(k), 0}; }
    static path_step at(std::int64_t i) { return {kind::index, {}, i}; }
    friend bool operator==(const path_step&, const path_step&) = default;
};

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
    attribute_path path;
    std::string message;

    /// "at .a[0]: message", or the bare message at the root.
    std::string what() const;
};

inline std::ostream& operator<<(std::ostream& os, const error& e)
{
    return os << e.what();
}

/// Throws std::runtime_error(e.what()); used by result<T>::value() on an error.
[[noreturn]] void throw_exception_from_error(const error& e, const boost::source_location& loc);

template <class T>
using result = boost::system::result<T, error>;

} // namespace rpcplugin::terraform
