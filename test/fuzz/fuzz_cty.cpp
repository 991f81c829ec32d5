// Fuzz harness: the cty decoders of the Terraform provider kit (rpcplugin::terraform):
// type JSON, DynamicValue.msgpack and DynamicValue.json / RawState.json, on untrusted bytes.
// Input: [mode][type-JSON length, 2 bytes big-endian][type JSON][payload]; mode bit 0
// picks the payload's encoding (0 msgpack, 1 JSON). The seeds are go-cty 1.12.1's own
// encodings (test/terraform/ctycheck -gen), a mix of types, nulls, unknowns and dynamic
// values, plus a few hand-made ones (refined unknowns, bad extensions).
//
// Properties checked (a violation aborts):
//  - nothing crashes, whatever the bytes (errors are results);
//  - a type that parses re-writes as JSON that parses to the same type;
//  - a value that decodes re-encodes to msgpack, and that msgpack decodes to the same
//    value and re-encodes to the same bytes (encoding is a fixed point);
//  - a wholly known value without infinities also writes JSON that decodes again, and
//    writing that is a fixed point from the second write on (invalid UTF-8 is replaced).
#include "fuzz/support/harness.hpp"
#include "rpcplugin/terraform/codec.hpp"

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace
{
namespace tf = rpcplugin::terraform;

[[noreturn]] void violated(const char* what)
{
    std::fprintf(stderr, "fuzz_cty: property violated: %s\n", what);
    std::abort();
}

void check(bool ok, const char* what)
{
    if (!ok)
        violated(what);
}

bool has_infinity(const tf::value& v)
{
    if (!v.is_known() || v.is_null())
        return false;
    switch (v.ty().k())
    {
    case tf::type::kind::number: return v.as_number().is_infinity();
    case tf::type::kind::list:
    case tf::type::kind::set:
    case tf::type::kind::tuple:
        for (const auto& e : v.elements())
            if (has_infinity(e))
                return true;
        return false;
    case tf::type::kind::map:
    case tf::type::kind::object:
        for (const auto& [k, e] : v.items())
            if (has_infinity(e))
                return true;
        return false;
    default: return false;
    }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::string_view in(reinterpret_cast<const char*>(data), size);
    if (in.size() < 3)
        return 0;
    bool json = (static_cast<unsigned char>(in[0]) & 1) != 0;
    std::size_t tlen = (static_cast<unsigned char>(in[1]) << 8) | static_cast<unsigned char>(in[2]);
    in.remove_prefix(3);
    if (tlen > in.size())
        tlen = in.size();
    auto ty = tf::parse_type_json(in.substr(0, tlen));
    std::string_view payload = in.substr(tlen);
    if (!ty)
        return 0;
    auto again = tf::parse_type_json(ty->json());
    check(again.has_value() && *again == *ty, "type JSON does not round-trip");

    auto v = json ? tf::from_json(payload, *ty) : tf::from_msgpack(payload, *ty);
    if (!v)
        return 0;
    auto mp = tf::to_msgpack(*v, *ty);
    check(mp.has_value(), "a decoded value does not encode");
    auto v2 = tf::from_msgpack(*mp, *ty);
    check(v2.has_value(), "the encoding of a decoded value does not decode");
    check(*v2 == *v, "msgpack round trip changed the value");
    auto mp2 = tf::to_msgpack(*v2, *ty);
    check(mp2.has_value() && *mp2 == *mp, "msgpack encoding is not a fixed point");
    if (v->is_wholly_known() && !has_infinity(*v))
    {
        auto js = tf::to_json(*v, *ty);
        check(js.has_value(), "a wholly known value does not write JSON");
        auto v3 = tf::from_json(*js, *ty);
        check(v3.has_value(), "written JSON does not decode");
        // Invalid UTF-8 becomes \ufffd on the first write (as Go's encoding/json does), so
        // the fixed point is reached from the second write on.
        auto js2 = tf::to_json(*v3, *ty);
        check(js2.has_value(), "decoded JSON does not write JSON");
        auto v4 = tf::from_json(*js2, *ty);
        check(v4.has_value(), "re-written JSON does not decode");
        auto js3 = tf::to_json(*v4, *ty);
        check(js3.has_value() && *js3 == *js2, "JSON encoding is not a fixed point");
    }
    return 0;
}
