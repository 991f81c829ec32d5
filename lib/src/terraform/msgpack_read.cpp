// DynamicValue.msgpack, reading: go-cty's cty/msgpack encoding, read by hand so that every
// byte is under control (why not msgpack-cxx: msgpack_write.cpp). Writing is
// msgpack_write.cpp.

#include <rpcplugin/terraform/codec.hpp>

#include "codec_common.hpp"

#include <cmath>
#include <cstring>

namespace rpcplugin::terraform
{
namespace
{

class decoder : public detail::walk_state
{
public:
    decoder(std::string_view b)
        : b_(b)
    {
    }

    std::string_view b_;
    std::size_t pos_ = 0;

    bool have(std::size_t n) const { return b_.size() - pos_ >= n; }
    unsigned char peek() const { return static_cast<unsigned char>(b_[pos_]); }

    std::uint64_t be(std::size_t n)
    {
        std::uint64_t v = 0;
        for (std::size_t i = 0; i < n; ++i)
            v = (v << 8) | static_cast<unsigned char>(b_[pos_ + i]);
        pos_ += n;
        return v;
    }

    bool eof() { return fail("unexpected end of msgpack data"); }

    static bool is_ext(unsigned char c)
    {
        return (c >= 0xd4 && c <= 0xd8) || (c >= 0xc7 && c <= 0xc9);
    }

    // Reads an extension header and skips the payload; returns its type and payload size.
    bool read_ext(std::int8_t& ext_type, std::size_t& size)
    {
        unsigned char c = peek();
        ++pos_;
        std::size_t len_bytes = c == 0xc7 ? 1 : c == 0xc8 ? 2 : c == 0xc9 ? 4 : 0;
        if (len_bytes)
        {
            if (!have(len_bytes))
                return eof();
            size = be(len_bytes);
        }
        else
            size = std::size_t{1} << (c - 0xd4);
        if (!have(1))
            return eof();
        ext_type = static_cast<std::int8_t>(b_[pos_++]);
        if (!have(size))
            return eof();
        pos_ += size;
        return true;
    }

    // str or bin (go's DecodeString and DecodeBytes accept both).
    bool read_text(std::string& out, const char* what)
    {
        if (!have(1))
            return eof();
        unsigned char c = peek();
        std::size_t n = 0;
        if ((c & 0xe0) == 0xa0)
        {
            n = c & 0x1f;
            ++pos_;
        }
        else if (c == 0xd9 || c == 0xc4 || c == 0xda || c == 0xc5 || c == 0xdb || c == 0xc6)
        {
            std::size_t lb = (c == 0xd9 || c == 0xc4) ? 1 : (c == 0xda || c == 0xc5) ? 2 : 4;
            ++pos_;
            if (!have(lb))
                return eof();
            n = be(lb);
        }
        else
            return fail(what);
        if (!have(n))
            return eof();
        out.assign(b_.substr(pos_, n));
        pos_ += n;
        return true;
    }

    // An array or map header; -1 for nil. Lengths beyond the remaining bytes are refused.
    bool read_len(bool map, std::int64_t& n, const char* what)
    {
        if (!have(1))
            return eof();
        unsigned char c = peek();
        if (c == 0xc0)
        {
            ++pos_;
            n = -1;
            return true;
        }
        unsigned char fix = map ? 0x80 : 0x90;
        unsigned char c16 = map ? 0xde : 0xdc;
        if ((c & 0xf0) == fix)
        {
            ++pos_;
            n = c & 0x0f;
        }
        else if (c == c16 || c == c16 + 1)
        {
            ++pos_;
            std::size_t lb = c == c16 ? 2 : 4;
            if (!have(lb))
                return eof();
            n = static_cast<std::int64_t>(be(lb));
        }
        else
            return fail(what);
        if (static_cast<std::uint64_t>(n) * (map ? 2 : 1) > b_.size() - pos_)
            return eof();
        return true;
    }

    bool read_number(value& out)
    {
        unsigned char c = peek();
        if (c <= 0x7f || c >= 0xe0)
        {
            ++pos_;
            out = value::integer(static_cast<std::int8_t>(c));
            return true;
        }
        std::size_t n = 0;
        switch (c)
        {
        case 0xd0:
        case 0xcc: n = 1; break;
        case 0xd1:
        case 0xcd: n = 2; break;
        case 0xd2:
        case 0xce:
        case 0xca: n = 4; break;
        case 0xd3:
        case 0xcf:
        case 0xcb: n = 8; break;
        default:
        {
            std::string text;
            if (!read_text(text, "number is required"))
                return false;
            auto num = number::parse(text);
            if (!num)
                return fail("number is required");
            out = value::num(*num);
            return true;
        }
        }
        ++pos_;
        if (!have(n))
            return eof();
        std::uint64_t raw = be(n);
        if (c == 0xcc || c == 0xcd || c == 0xce || c == 0xcf)
        {
            out = value::num(number::from_uint64(raw));
            return true;
        }
        if (c == 0xca || c == 0xcb)
        {
            double d;
            if (c == 0xca)
            {
                float f;
                auto bits = static_cast<std::uint32_t>(raw);
                std::memcpy(&f, &bits, sizeof f);
                d = f;
            }
            else
                std::memcpy(&d, &raw, sizeof d);
            auto num = number::from_double(d);
            if (!num)
                return fail("number is required (NaN is not a number)");
            out = value::num(*num);
            return true;
        }
        // Sign-extend int8..int64.
        unsigned shift = static_cast<unsigned>(64 - 8 * n);
        auto i = static_cast<std::int64_t>(raw << shift) >> shift;
        out = value::integer(i);
        return true;
    }

    bool decode(const type& t, value& out, std::size_t depth)
    {
        if (depth == 0)
            return fail("value nested too deeply");
        if (!have(1))
            return eof();
        unsigned char c = peek();
        if (is_ext(c))
        {
            std::int8_t et = 0;
            std::size_t size = 0;
            if (!read_ext(et, size))
                return false;
            // go-cty >= 1.13: a payload of at most one byte is a plain unknown, type 12 a
            // refined one (refinements are dropped), anything else an error.
            if (size > 1 && et != 12)
                return fail("unsupported msgpack extension type " + std::to_string(et));
            out = value::unknown(t);
            return true;
        }
        if (t.is_dynamic())
            return decode_dynamic(out, depth);
        if (c == 0xc0)
        {
            ++pos_;
            out = value::null(t);
            return true;
        }
        switch (t.k())
        {
        case type::kind::boolean:
            if (c != 0xc2 && c != 0xc3)
                return fail("bool is required");
            ++pos_;
            out = value::boolean(c == 0xc3);
            return true;
        case type::kind::number: return read_number(out);
        case type::kind::string:
        {
            std::string s;
            if (!read_text(s, "string is required"))
                return false;
            out = value::string(std::move(s));
            return true;
        }
        case type::kind::list:
        case type::kind::set: return decode_list_or_set(t, out, depth);
        case type::kind::tuple: return decode_tuple(t, out, depth);
        case type::kind::map: return decode_map(t, out, depth);
        case type::kind::object: return decode_object(t, out, depth);
        case type::kind::dynamic: break;
        }
        return fail("unsupported type");
    }

    bool decode_list_or_set(const type& t, value& out, std::size_t depth)
    {
        bool is_list = t.k() == type::kind::list;
        std::int64_t n = 0;
        if (!read_len(false, n, is_list ? "a list is required" : "a set is required"))
            return false;
        std::vector<value> es;
        for (std::int64_t i = 0; i < n; ++i)
        {
            path.push_back(path_step::at(i));
            value e;
            if (!decode(t.element(), e, depth - 1))
                return false;
            path.pop_back();
            es.push_back(std::move(e));
        }
        out = is_list ? value::list(t.element(), std::move(es))
                      : value::set(t.element(), std::move(es));
        return true;
    }

    bool decode_tuple(const type& t, value& out, std::size_t depth)
    {
        std::int64_t n = 0;
        if (!read_len(false, n, "a tuple is required"))
            return false;
        const auto& ets = t.elements();
        if (static_cast<std::size_t>(n) != ets.size())
            return fail("a tuple of length " + std::to_string(ets.size()) + " is required");
        std::vector<value> es;
        for (std::int64_t i = 0; i < n; ++i)
        {
            path.push_back(path_step::at(i));
            value e;
            if (!decode(ets[static_cast<std::size_t>(i)], e, depth - 1))
                return false;
            path.pop_back();
            es.push_back(std::move(e));
        }
        out = value::tuple(std::move(es));
        return true;
    }

    bool decode_map(const type& t, value& out, std::size_t depth)
    {
        std::int64_t n = 0;
        if (!read_len(true, n, "a map is required"))
            return false;
        value::entries items;
        for (std::int64_t i = 0; i < n; ++i)
        {
            std::string k;
            if (!read_text(k, "non-string key in map"))
                return false;
            path.push_back(path_step::map_key(k));
            value e;
            if (!decode(t.element(), e, depth - 1))
                return false;
            path.pop_back();
            items.emplace_back(std::move(k), std::move(e));
        }
        out = value::map(t.element(), std::move(items));
        return true;
    }

    bool decode_object(const type& t, value& out, std::size_t depth)
    {
        std::int64_t n = 0;
        if (!read_len(true, n, "an object is required"))
            return false;
        const auto& attrs = t.attributes();
        if (static_cast<std::size_t>(n) != attrs.size())
            return fail("an object with " + std::to_string(attrs.size()) +
                        " attributes is required (" + std::to_string(n) + " given)");
        value::entries items;
        std::vector<bool> seen(attrs.size());
        for (std::int64_t i = 0; i < n; ++i)
        {
            std::string k;
            if (!read_text(k, "all keys must be strings"))
                return false;
            path.push_back(path_step::attr(k));
            const type::attribute* a = t.find(k);
            if (!a)
                return fail("unsupported attribute");
            auto idx = static_cast<std::size_t>(a - attrs.data());
            if (seen[idx])
                return fail("attribute given more than once");
            seen[idx] = true;
            value e;
            if (!decode(a->ty, e, depth - 1))
                return false;
            path.pop_back();
            items.emplace_back(std::move(k), std::move(e));
        }
        out = value::object(std::move(items));
        return true;
    }

    bool decode_dynamic(value& out, std::size_t depth)
    {
        std::int64_t n = 0;
        if (!read_len(false, n, "a dynamic value must be a two-element array"))
            return false;
        if (n == -1)
        {
            out = value::null(type::dynamic());
            return true;
        }
        if (n != 2)
            return fail("dynamic value array must have exactly two elements");
        std::string type_json;
        if (!read_text(type_json, "the type of a dynamic value must be msgpack bin"))
            return false;
        auto t = parse_type_json(type_json);
        if (!t)
            return fail("invalid type of a dynamic value: " + t.error().message);
        return decode(t->without_optional(), out, depth - 1);
    }
};

} // namespace

result<value> from_msgpack(std::string_view bytes, const type& t)
{
    decoder d(bytes);
    value v;
    if (!d.decode(t.without_optional(), v, 256))
        return d.err;
    if (d.pos_ != bytes.size())
        return error{{}, "trailing data after the msgpack value"};
    return v;
}

} // namespace rpcplugin::terraform
