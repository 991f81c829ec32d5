#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace rpcplugin::terraform
{

/**
 * A cty number: an exact decimal, or positive or negative infinity.
 *
 * go-cty keeps numbers as `big.Float`s: integers at 64 bits of precision, float64 values
 * at 53 and parsed decimal text at 512. This type keeps the exact decimal value and
 * remembers whether it came from a float64, which is what decides how go-cty prints it:
 * `text()` gives what go-cty's `Text('f', -1)` gives (the shortest round-trip form for a
 * float64, the exact decimal otherwise), and the msgpack encoder picks the same form as
 * go-cty (integer if it fits int64, float64 if exact, else the decimal text).
 *
 * Difference from go-cty: decimal text with more than about 154 significant digits is kept
 * exactly here, while go-cty rounds it to 512 bits.
 *
 * Values are immutable and safe to share between threads.
 */
class number
{
public:
    /// Zero.
    number() = default;

    /// The integer `v`, exactly (go-cty's `NumberIntVal`).
    static number from_int64(std::int64_t v);
    /// The integer `v`, exactly (go-cty's `NumberUIntVal`).
    static number from_uint64(std::uint64_t v);
    /// A float64 (NaN is not a number in cty: returns nullopt).
    static std::optional<number> from_double(double v);
    /// Positive infinity, or negative infinity when `negative`.
    static number infinity(bool negative);

    /**
     * Parses decimal text as go-cty's `ParseNumberVal` does: an optional sign, digits with an
     * optional fraction, an optional exponent (`1e3`, `2.5E-7`). Returns nullopt for anything
     * else, and for exponents whose decimal form would exceed `max_text` characters.
     */
    static std::optional<number> parse(std::string_view text, std::size_t max_text = 4096);

    /// True for positive or negative infinity.
    bool is_infinity() const noexcept { return kind_ != kind::finite; }
    /// The sign: true below zero, for negative infinity, and for a negative zero (from
    /// `-0.0` or the text `-0`), which still compares equal to zero.
    bool is_negative() const noexcept { return neg_; }
    /// True for zero of either sign.
    bool is_zero() const noexcept { return kind_ == kind::finite && digits_.empty(); }
    /// True for finite values without a fractional part (of any size; see as_int64()).
    bool is_integer() const noexcept;
    /// True if the value came from a float64 (go-cty's 53-bit precision).
    bool from_binary64() const noexcept { return binary64_; }

    /// The value as int64 if it is an integer in range.
    std::optional<std::int64_t> as_int64() const;
    /// The value as a double if the double is exactly this value (infinities included).
    std::optional<double> as_exact_double() const;
    /// The nearest double.
    double to_double() const;

    /// go-cty's `Text('f', -1)`: decimal text without exponent; "+Inf"/"-Inf" for infinities.
    std::string text() const;
    /// go-cty's `String()` (`Text('g', 10)`), used in its set element ordering.
    std::string text_g10() const;

    /// Numeric comparison (ignores where the value came from).
    friend std::strong_ordering operator<=>(const number& a, const number& b);
    /// Numeric equality (`1`, `1.0` and `1e0` are equal; so are `0` and `-0`).
    friend bool operator==(const number& a, const number& b) { return (a <=> b) == 0; }

private:
    enum class kind : std::uint8_t
    {
        finite,
        infinite
    };
    kind kind_ = kind::finite;
    bool neg_ = false;
    bool binary64_ = false;
    std::string digits_;   // significant digits, no leading or trailing zeros; empty for zero
    std::int64_t exp_ = 0; // value = digits_ * 10^exp_

    void normalize();
};

} // namespace rpcplugin::terraform
