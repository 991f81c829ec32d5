// DynamicValue.msgpack, writing: go-cty's cty/msgpack encoding, written (and, in
// msgpack_read.cpp, read) by hand so that every byte is under control.
//
// Why not Debian's msgpack-cxx (libmsgpack-cxx-dev), which the kit's issue named: it cannot
// be installed beside the Boost the project builds with. Checked on Debian 12 (bookworm)
// with apt-cache show / apt-cache showpkg and `apt-get install -s --no-install-recommends
// libmsgpack-cxx-dev`:
//   - libmsgpack-cxx-dev 4.1.3-1 (source msgpack-cxx) Depends: libboost-dev;
//   - libboost-dev 1.74.0.3 (source boost-defaults) Depends: libboost1.74-dev, and no other
//     package Provides libboost-dev;
//   - libboost1.81-dev 1.81.0-5+deb12u1 (this project's Boost, for Asio's awaitable
//     operators and Boost.JSON) Conflicts: libboost1.74-dev;
//   - so the simulated install fails: "libboost1.81-dev : Conflicts: libboost1.74-dev but
//     1.74.0+ds1-21 is to be installed" ("Error, pkgProblemResolver::Resolve generated
//     breaks"). Installing it would mean removing Boost 1.81. (libmsgpack-dev 4.0.0-3, the
//     C library, Depends: libmsgpack-cxx-dev as well.)

#include <rpcplugin/terraform/codec.hpp>

#include "codec_common.hpp"

#include <cmath>
#include <cstring>

namespace rpcplugin::terraform
{
namespace
{
// vmihailenco/msgpack v4 with UseCompactEncoding, as go-cty uses it.

void put_be(std::string& out, std::uint64_t v, int bytes)
{
    for (int i = bytes - 1; i >= 0; --i)
        out += static_cast<char>((v >> (8 * i)) & 0xff);
}

void put_uint(std::string& out, std::uint64_t n)
{
    if (n <= 0x7f)
        out += static_cast<char>(n);
    else if (n <= 0xff)
        out += '\xcc', put_be(out, n, 1);
    else if (n <= 0xffff)
        out += '\xcd', put_be(out, n, 2);
    else if (n <= 0xffffffff)
        out += '\xce', put_be(out, n, 4);
    else
        out += '\xcf', put_be(out, n, 8);
}

void put_int(std::string& out, std::int64_t n)
{
    if (n >= 0)
        return put_uint(out, static_cast<std::uint64_t>(n));
    auto u = static_cast<std::uint64_t>(n);
    if (n >= -32)
        out += static_cast<char>(u & 0xff);
    else if (n >= -128)
        out += '\xd0', put_be(out, u, 1);
    else if (n >= -32768)
        out += '\xd1', put_be(out, u, 2);
    else if (n >= -2147483648LL)
        out += '\xd2', put_be(out, u, 4);
    else
        out += '\xd3', put_be(out, u, 8);
}

void put_double(std::string& out, double d)
{
    std::uint64_t bits;
    std::memcpy(&bits, &d, sizeof bits);
    out += '\xcb';
    put_be(out, bits, 8);
}

void put_str(std::string& out, std::string_view s)
{
    std::size_t n = s.size();
    if (n < 32)
        out += static_cast<char>(0xa0 | n);
    else if (n < 256)
        out += '\xd9', put_be(out, n, 1);
    else if (n < 65536)
        out += '\xda', put_be(out, n, 2);
    else
        out += '\xdb', put_be(out, n, 4);
    out.append(s);
}

void put_bin(std::string& out, std::string_view s)
{
    std::size_t n = s.size();
    if (n < 256)
        out += '\xc4', put_be(out, n, 1);
    else if (n < 65536)
        out += '\xc5', put_be(out, n, 2);
    else
        out += '\xc6', put_be(out, n, 4);
    out.append(s);
}

void put_array_len(std::string& out, std::size_t n)
{
    if (n < 16)
        out += static_cast<char>(0x90 | n);
    else if (n < 65536)
        out += '\xdc', put_be(out, n, 2);
    else
        out += '\xdd', put_be(out, n, 4);
}

void put_map_len(std::string& out, std::size_t n)
{
    if (n < 16)
        out += static_cast<char>(0x80 | n);
    else if (n < 65536)
        out += '\xde', put_be(out, n, 2);
    else
        out += '\xdf', put_be(out, n, 4);
}

void put_number(std::string& out, const number& n)
{
    if (auto i = n.as_int64())
        return put_int(out, *i);
    if (auto d = n.as_exact_double())
        return put_double(out, *d);
    put_str(out, n.text());
}

class encoder : public detail::walk_state
{
public:
    std::string out;

    bool encode(const value& v, const type& t)
    {
        if (t.is_dynamic() && !v.ty().is_dynamic())
        {
            put_array_len(out, 2);
            put_bin(out, v.ty().json());
            return encode(v, v.ty());
        }
        if (!v.is_known())
        {
            out.append("\xd4\x00\x00", 3);
            return true;
        }
        if (v.is_null())
        {
            out += '\xc0';
            return true;
        }
        if (auto why = detail::encode_mismatch(v, t, path); !why.empty())
            return fail(why);
        switch (t.k())
        {
        case type::kind::string: put_str(out, v.as_string()); return true;
        case type::kind::number: put_number(out, v.as_number()); return true;
        case type::kind::boolean: out += v.as_bool() ? '\xc3' : '\xc2'; return true;
        case type::kind::list:
        case type::kind::set:
        {
            const auto& es = v.elements();
            put_array_len(out, es.size());
            for (std::size_t i = 0; i < es.size(); ++i)
            {
                path.push_back(path_step::at(static_cast<std::int64_t>(i)));
                if (!encode(es[i], t.element()))
                    return false;
                path.pop_back();
            }
            return true;
        }
        case type::kind::tuple:
        {
            const auto& es = v.elements();
            put_array_len(out, es.size());
            for (std::size_t i = 0; i < es.size(); ++i)
            {
                path.push_back(path_step::at(static_cast<std::int64_t>(i)));
                if (!encode(es[i], t.elements()[i]))
                    return false;
                path.pop_back();
            }
            return true;
        }
        case type::kind::map:
        {
            const auto& items = v.items();
            put_map_len(out, items.size());
            for (const auto& [k, e] : items)
            {
                path.push_back(path_step::map_key(k));
                put_str(out, k);
                if (!encode(e, t.element()))
                    return false;
                path.pop_back();
            }
            return true;
        }
        case type::kind::object:
        {
            const auto& attrs = t.attributes();
            put_map_len(out, attrs.size());
            return for_each_attribute(v, t,
                                      [&](const auto& a, const value& e)
                                      {
                                          put_str(out, a.name);
                                          return encode(e, a.ty);
                                      });
        }
        case type::kind::dynamic: return true;
        }
        return true;
    }
};

} // namespace

result<std::string> to_msgpack(const value& v, const type& t)
{
    return detail::run_encoder<encoder>(v, t);
}

} // namespace rpcplugin::terraform
