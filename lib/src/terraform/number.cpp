#include <rpcplugin/terraform/number.hpp>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <vector>

namespace rpcplugin::terraform
{
namespace
{

// An unsigned integer in base 10^9 limbs, least significant first: just what exact
// conversion of a float64 to decimal needs.
class big_decimal
{
public:
    explicit big_decimal(std::uint64_t v)
    {
        while (v != 0)
        {
            limbs_.push_back(static_cast<std::uint32_t>(v % base));
            v /= base;
        }
    }

    void mul_small(std::uint32_t k)
    {
        std::uint64_t carry = 0;
        for (auto& l : limbs_)
        {
            std::uint64_t t = std::uint64_t{l} * k + carry;
            l = static_cast<std::uint32_t>(t % base);
            carry = t / base;
        }
        while (carry != 0)
        {
            limbs_.push_back(static_cast<std::uint32_t>(carry % base));
            carry /= base;
        }
    }

    void mul_pow(std::uint32_t b, std::uint32_t chunk, int chunk_exp, int n)
    {
        for (; n >= chunk_exp; n -= chunk_exp)
            mul_small(chunk);
        for (; n > 0; --n)
            mul_small(b);
    }

    std::string to_string() const
    {
        if (limbs_.empty())
            return "0";
        std::string s = std::to_string(limbs_.back());
        for (std::size_t i = limbs_.size() - 1; i-- > 0;)
        {
            std::string part = std::to_string(limbs_[i]);
            s.append(9 - part.size(), '0');
            s += part;
        }
        return s;
    }

private:
    static constexpr std::uint64_t base = 1000000000;
    std::vector<std::uint32_t> limbs_;
};

bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

// math/big's decimal: value = 0.mant * 10^exp, mant without trailing zeros.
struct go_decimal
{
    std::string mant;
    std::int64_t exp = 0;

    char at(std::size_t i) const { return i < mant.size() ? mant[i] : '0'; }
    void trim()
    {
        while (!mant.empty() && mant.back() == '0')
            mant.pop_back();
        if (mant.empty())
            exp = 0;
    }
    void round_up(std::size_t n)
    {
        if (n >= mant.size())
            return;
        while (n > 0 && mant[n - 1] >= '9')
            --n;
        if (n == 0)
        {
            mant = "1";
            ++exp;
            return;
        }
        ++mant[n - 1];
        mant.resize(n);
    }
    void round_down(std::size_t n)
    {
        if (n >= mant.size())
            return;
        mant.resize(n);
        trim();
    }
    void round(std::size_t n)
    {
        if (n >= mant.size())
            return;
        bool up = (mant[n] == '5' && n + 1 == mant.size()) ? n > 0 && ((mant[n - 1] - '0') & 1) != 0
                                                           : mant[n] >= '5';
        if (up)
            round_up(n);
        else
            round_down(n);
    }
};

// The exact decimal of m * 2^e2.
go_decimal exact_decimal(std::uint64_t m, int e2)
{
    big_decimal d(m);
    std::int64_t exp10 = 0;
    if (e2 >= 0)
        d.mul_pow(2, 1u << 29, 29, e2);
    else
    {
        d.mul_pow(5, 1220703125u, 13, -e2); // 5^13
        exp10 = e2;
    }
    go_decimal out;
    out.mant = d.to_string();
    out.exp = static_cast<std::int64_t>(out.mant.size()) + exp10;
    out.trim();
    return out;
}

// math/big's roundShortest for a float64 held at 53 bits of precision (big.NewFloat): the
// fewest digits that read back to the same 53-bit value. Unlike float64's own shortest
// form this knows no subnormals, as math/big does not.
go_decimal shortest_decimal(double v)
{
    int e = 0;
    double f = std::frexp(std::fabs(v), &e);
    auto m = static_cast<std::uint64_t>(std::ldexp(f, 53)); // 53 significant bits
    int e2 = e - 53;
    go_decimal d = exact_decimal(m, e2);
    if (d.mant.empty())
        return d;
    std::uint64_t mant = m << 1; // 54 bits: the lowest is half an ulp
    go_decimal lower = exact_decimal(mant - 1, e2 - 1);
    go_decimal upper = exact_decimal(mant + 1, e2 - 1);
    bool inclusive = (mant & 2) == 0;
    for (std::size_t i = 0; i < d.mant.size(); ++i)
    {
        char l = lower.at(i), u = upper.at(i), c = d.mant[i];
        bool okdown = l != c || (inclusive && i + 1 == lower.mant.size());
        bool okup = c != u && (inclusive || c + 1 < u || i + 1 < upper.mant.size());
        if (okdown && okup)
        {
            d.round(i + 1);
            break;
        }
        if (okdown)
        {
            d.round_down(i + 1);
            break;
        }
        if (okup)
        {
            d.round_up(i + 1);
            break;
        }
    }
    return d;
}

// fmtF of math/big: the digits of d with `prec` fraction digits.
std::string fmt_f(const go_decimal& d, std::int64_t prec)
{
    std::string out;
    if (d.exp > 0)
    {
        auto m = std::min<std::int64_t>(static_cast<std::int64_t>(d.mant.size()), d.exp);
        out.append(d.mant, 0, static_cast<std::size_t>(m));
        out.append(static_cast<std::size_t>(d.exp - m), '0');
    }
    else
        out += '0';
    if (prec > 0)
    {
        out += '.';
        for (std::int64_t i = 0; i < prec; ++i)
        {
            std::int64_t k = d.exp + i;
            out += k >= 0 ? d.at(static_cast<std::size_t>(k)) : '0';
        }
    }
    return out;
}

} // namespace

void number::normalize()
{
    std::size_t lead = digits_.find_first_not_of('0');
    if (lead == std::string::npos)
    {
        digits_.clear();
        exp_ = 0;
        return;
    }
    digits_.erase(0, lead);
    std::size_t last = digits_.find_last_not_of('0');
    exp_ += static_cast<std::int64_t>(digits_.size() - 1 - last);
    digits_.resize(last + 1);
}

number number::from_uint64(std::uint64_t v)
{
    number n;
    n.digits_ = std::to_string(v);
    n.normalize();
    return n;
}

number number::from_int64(std::int64_t v)
{
    number n =
        from_uint64(v < 0 ? 0 - static_cast<std::uint64_t>(v) : static_cast<std::uint64_t>(v));
    n.neg_ = v < 0;
    return n;
}

std::optional<number> number::from_double(double v)
{
    if (std::isnan(v))
        return std::nullopt;
    if (std::isinf(v))
        return infinity(v < 0);
    number n;
    n.binary64_ = true;
    n.neg_ = std::signbit(v);
    if (v == 0)
        return n;
    int e = 0;
    double f = std::frexp(std::fabs(v), &e); // |v| = f * 2^e, f in [0.5, 1)
    go_decimal d = exact_decimal(static_cast<std::uint64_t>(std::ldexp(f, 53)), e - 53);
    n.digits_ = d.mant;
    n.exp_ = d.exp - static_cast<std::int64_t>(d.mant.size());
    n.normalize();
    return n;
}

number number::infinity(bool negative)
{
    number n;
    n.kind_ = kind::infinite;
    n.neg_ = negative;
    return n;
}

std::optional<number> number::parse(std::string_view s, std::size_t max_text)
{
    number n;
    std::size_t i = 0;
    if (i < s.size() && (s[i] == '+' || s[i] == '-'))
        n.neg_ = s[i++] == '-';
    std::string_view rest = s.substr(i);
    if (rest == "Inf" || rest == "inf")
        return infinity(n.neg_);
    std::size_t int_digits = 0, frac_digits = 0;
    for (; i < s.size() && is_digit(s[i]); ++i, ++int_digits)
        n.digits_ += s[i];
    if (i < s.size() && s[i] == '.')
    {
        for (++i; i < s.size() && is_digit(s[i]); ++i, ++frac_digits)
            n.digits_ += s[i];
    }
    if (int_digits + frac_digits == 0)
        return std::nullopt;
    std::int64_t exp10 = 0;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E'))
    {
        ++i;
        bool eneg = false;
        if (i < s.size() && (s[i] == '+' || s[i] == '-'))
            eneg = s[i++] == '-';
        if (i == s.size())
            return std::nullopt;
        for (; i < s.size() && is_digit(s[i]); ++i)
        {
            exp10 = exp10 * 10 + (s[i] - '0');
            if (exp10 > 1'000'000'000)
                return std::nullopt;
        }
        if (eneg)
            exp10 = -exp10;
    }
    if (i != s.size())
        return std::nullopt;
    n.exp_ = exp10 - static_cast<std::int64_t>(frac_digits);
    n.normalize();
    // Bound the decimal text: go-cty prints numbers without exponent.
    std::int64_t len = static_cast<std::int64_t>(n.digits_.size());
    std::int64_t text_len = n.exp_ >= 0 ? len + n.exp_ : std::max(len, -n.exp_ + 1);
    if (text_len > static_cast<std::int64_t>(max_text))
        return std::nullopt;
    return n;
}

bool number::is_integer() const noexcept
{
    return kind_ == kind::finite && exp_ >= 0;
}

std::optional<std::int64_t> number::as_int64() const
{
    if (!is_integer())
        return std::nullopt;
    if (digits_.empty())
        return 0;
    if (static_cast<std::int64_t>(digits_.size()) + exp_ > 19)
        return std::nullopt;
    std::uint64_t v = 0;
    for (char c : digits_)
        v = v * 10 + static_cast<std::uint64_t>(c - '0');
    for (std::int64_t k = 0; k < exp_; ++k)
    {
        if (v > std::numeric_limits<std::uint64_t>::max() / 10)
            return std::nullopt;
        v *= 10;
    }
    constexpr auto max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
    if (neg_)
    {
        if (v > max + 1)
            return std::nullopt;
        return static_cast<std::int64_t>(0 - v);
    }
    if (v > max)
        return std::nullopt;
    return static_cast<std::int64_t>(v);
}

double number::to_double() const
{
    if (kind_ == kind::infinite)
        return neg_ ? -HUGE_VAL : HUGE_VAL;
    if (digits_.empty())
        return neg_ ? -0.0 : 0.0;
    std::string s = (neg_ ? "-" : "") + digits_ + "e" + std::to_string(exp_);
    return std::strtod(s.c_str(), nullptr);
}

std::optional<double> number::as_exact_double() const
{
    double d = to_double();
    if (kind_ == kind::infinite)
        return d;
    if (std::isinf(d))
        return std::nullopt;
    auto back = from_double(d);
    if (!back || back->digits_ != digits_ || (!digits_.empty() && back->exp_ != exp_))
        return std::nullopt;
    return d;
}

std::string number::text() const
{
    if (kind_ == kind::infinite)
        return neg_ ? "-Inf" : "+Inf";
    std::string out = neg_ ? "-" : "";
    if (binary64_ && !digits_.empty())
    {
        // Text('f', -1) at the float64's 53 bits: its shortest digits, no exponent.
        go_decimal d = shortest_decimal(to_double());
        return out + fmt_f(d, std::max<std::int64_t>(
                                  static_cast<std::int64_t>(d.mant.size()) - d.exp, 0));
    }
    if (digits_.empty())
        return out + "0";
    auto len = static_cast<std::int64_t>(digits_.size());
    if (exp_ >= 0)
        return out + digits_ + std::string(static_cast<std::size_t>(exp_), '0');
    if (len > -exp_)
    {
        auto ip = static_cast<std::size_t>(len + exp_);
        return out + digits_.substr(0, ip) + "." + digits_.substr(ip);
    }
    return out + "0." + std::string(static_cast<std::size_t>(-exp_ - len), '0') + digits_;
}

std::string number::text_g10() const
{
    // math/big's Append for 'g' with precision 10 (decimal.round, fmtE, fmtF).
    if (kind_ == kind::infinite)
        return neg_ ? "-Inf" : "+Inf";
    std::string out = neg_ ? "-" : "";
    std::string mant = digits_;
    auto dexp = static_cast<std::int64_t>(digits_.size()) + exp_; // value = 0.mant * 10^dexp
    constexpr std::size_t prec10 = 10;
    if (mant.size() > prec10)
    {
        std::size_t n = prec10;
        bool up = (mant[n] == '5' && n + 1 == mant.size()) ? ((mant[n - 1] - '0') & 1) != 0
                                                           : mant[n] >= '5';
        mant.resize(n);
        if (up)
        {
            std::size_t k = n;
            while (k > 0 && mant[k - 1] == '9')
                --k;
            if (k == 0)
            {
                mant = "1";
                ++dexp;
            }
            else
            {
                ++mant[k - 1];
                mant.resize(k);
            }
        }
        while (!mant.empty() && mant.back() == '0')
            mant.pop_back();
    }
    auto at = [&](std::int64_t i) -> char
    {
        return i >= 0 && i < static_cast<std::int64_t>(mant.size())
                   ? mant[static_cast<std::size_t>(i)]
                   : '0';
    };
    auto len = static_cast<std::int64_t>(mant.size());
    std::int64_t prec = prec10;
    std::int64_t eprec = prec;
    if (eprec > len && len >= dexp)
        eprec = len;
    std::int64_t e = dexp - 1;
    if (e < -4 || e >= eprec)
    {
        if (prec > len)
            prec = len;
        prec -= 1; // fmtE
        out += mant.empty() ? '0' : mant[0];
        if (prec > 0)
        {
            out += '.';
            std::int64_t i = 1;
            std::int64_t m = std::min(len, prec + 1);
            for (; i < m; ++i)
                out += mant[static_cast<std::size_t>(i)];
            for (; i <= prec; ++i)
                out += '0';
        }
        out += 'e';
        std::int64_t x = mant.empty() ? 0 : dexp - 1;
        out += x < 0 ? '-' : '+';
        if (x < 0)
            x = -x;
        if (x < 10)
            out += '0';
        return out + std::to_string(x);
    }
    if (prec > dexp)
        prec = len;
    std::int64_t fprec = std::max<std::int64_t>(prec - dexp, 0); // fmtF
    if (dexp > 0)
    {
        std::int64_t m = std::min(len, dexp);
        out += mant.substr(0, static_cast<std::size_t>(m));
        out.append(static_cast<std::size_t>(dexp - m), '0');
    }
    else
        out += '0';
    if (fprec > 0)
    {
        out += '.';
        for (std::int64_t i = 0; i < fprec; ++i)
            out += at(dexp + i);
    }
    return out;
}

std::strong_ordering operator<=>(const number& a, const number& b)
{
    auto sign = [](const number& n) -> int
    {
        if (n.kind_ == number::kind::finite && n.digits_.empty())
            return 0;
        return n.neg_ ? -1 : 1;
    };
    int sa = sign(a), sb = sign(b);
    if (sa != sb)
        return sa <=> sb;
    if (sa == 0)
        return std::strong_ordering::equal;
    // Same sign, non-zero: compare magnitudes, then flip for negatives.
    auto mag = [](const number& x, const number& y) -> std::strong_ordering
    {
        bool xi = x.kind_ == number::kind::infinite, yi = y.kind_ == number::kind::infinite;
        if (xi || yi)
            return xi <=> yi;
        auto dx = static_cast<std::int64_t>(x.digits_.size()) + x.exp_;
        auto dy = static_cast<std::int64_t>(y.digits_.size()) + y.exp_;
        if (dx != dy)
            return dx <=> dy;
        int c = x.digits_.compare(y.digits_); // same decimal point position
        return c <=> 0;
    };
    auto m = mag(a, b);
    return sa > 0 ? m : 0 <=> m;
}

} // namespace rpcplugin::terraform
