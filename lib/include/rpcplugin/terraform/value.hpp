#pragma once

#include <rpcplugin/terraform/number.hpp>
#include <rpcplugin/terraform/type.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

namespace rpcplugin::terraform
{

/**
 * A cty value: known, null or unknown, of a type; optionally marked sensitive.
 *
 * - A value's type is always concrete except for the wholly unknown or null value of the
 *   dynamic pseudo-type (`value::unknown(type::dynamic())` is cty's `DynamicVal`).
 * - Lists and tuples keep their order; maps keep entries sorted by key; objects hold every
 *   attribute of their type, sorted by name; sets are kept the way go-cty keeps them:
 *   duplicates (equal wholly known elements) collapse and elements are in go-cty's iteration
 *   order, so encoding a set gives go-cty's bytes.
 * - The sensitive mark is carried for provider code (it is never encoded: Terraform applies
 *   sensitivity from the schema).
 *
 * Values are immutable once built and safe to share between threads.
 */
class value
{
public:
    /// Name and value pairs: the entries of a map or the attributes of an object.
    using entries = std::vector<std::pair<std::string, value>>;

    /// Null of the dynamic pseudo-type.
    value();

    /// The null value of type `t`.
    static value null(type t);
    /// The unknown value of type `t`.
    static value unknown(type t);
    /// A known string holding `s` as given (no Unicode normalization).
    static value string(std::string s);
    /// A known number.
    static value num(number n);
    /// A known number with the integer value `i`.
    static value integer(std::int64_t i) { return num(number::from_int64(i)); }
    /// A known bool.
    static value boolean(bool b);
    /// A known list of `element` holding `elements` in order. The elements must conform
    /// to `element` (not checked here; the encoders report a mismatch).
    static value list(type element, std::vector<value> elements);
    /// Builds a set: equal elements collapse, the order becomes go-cty's.
    static value set(type element, std::vector<value> elements);
    /// A known map of `element`: entries sorted by key, a repeated key keeps its last
    /// value. The values must conform to `element` (not checked here).
    static value map(type element, entries items);
    /// An object whose type is implied by the attributes' values.
    static value object(entries attributes);
    /// An object of type `t` (without optional markers): attributes not given are null.
    static value object(const type& t, entries attributes);
    /// A known tuple of `elements`; its type lists the elements' types.
    static value tuple(std::vector<value> elements);

    /// The value's type.
    const type& ty() const noexcept { return ty_; }
    /// True for a null value (a null value is known).
    bool is_null() const noexcept { return state_ == state::null; }
    /// False for an unknown value (at this level; see is_wholly_known()).
    bool is_known() const noexcept { return state_ != state::unknown; }
    /// Known all the way down.
    bool is_wholly_known() const;

    /// True if this value carries the sensitive mark (elements carry their own).
    bool is_sensitive() const noexcept { return sensitive_; }
    /// A copy of this value with the sensitive mark set to `on`.
    value mark_sensitive(bool on = true) const;

    /// Accessors for known, non-null values of the matching kind (throw std::logic_error
    /// otherwise).
    const std::string& as_string() const;
    /// The number of a known, non-null number value (else throws std::logic_error).
    const number& as_number() const;
    /// The bool of a known, non-null bool value (else throws std::logic_error).
    bool as_bool() const;
    /// Elements of a list, set or tuple.
    const std::vector<value>& elements() const;
    /// Entries of a map (by key) or attributes of an object (by name).
    const entries& items() const;
    /// An object's attribute or a map's entry, or nullptr.
    const value* get(std::string_view name) const;

    /// cty's RawEquals: same type, same known-ness and nullness, same content (numbers by
    /// value, unknowns equal to unknowns of the same type), marks included.
    friend bool operator==(const value& a, const value& b);

private:
    enum class state : std::uint8_t
    {
        known,
        null,
        unknown
    };
    type ty_;
    state state_ = state::null;
    bool sensitive_ = false;
    std::variant<std::monostate, bool, number, std::string, std::vector<value>, entries> v_;
};

/// go-cty's set ordering ("Less" of its set rules for `element`): used by value::set.
bool set_less(const type& element, const value& a, const value& b);
/// True if two set elements are the same element (both wholly known and equal).
bool set_equivalent(const value& a, const value& b);

} // namespace rpcplugin::terraform
