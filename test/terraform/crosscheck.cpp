// terraform-crosscheck: the C++ side of the codec cross-checks with go-cty.
//
//   terraform-crosscheck VECTORS OUT
//
// VECTORS holds go-cty's encodings (test/terraform/ctycheck -gen): per line a name, the type
// JSON, the msgpack, the JSON and the JSON of the value decoded from the msgpack (hex; "-"
// when the value has no JSON form). For each, the type JSON must read back and re-write to
// the same bytes, the msgpack must decode and re-encode to the same bytes, and the JSON
// likewise; the value decoded from msgpack must write go-cty's JSON of it. OUT receives what C++
// writes: the same vectors re-encoded, plus values built through the C++ API ("cpp-" lines), for
// go-cty (ctycheck -check) and python3-msgpack to read. Exit status 1 on any mismatch.
#include "hex.hpp"

#include <rpcplugin/terraform/codec.hpp>

#include <fstream>
#include <iostream>
#include <sstream>
#include <vector>

namespace tf = rpcplugin::terraform;
using tf::test::hex;
using tf::test::unhex;

namespace
{

std::vector<std::string> split(const std::string& line)
{
    std::vector<std::string> out;
    std::stringstream ss(line);
    std::string f;
    while (std::getline(ss, f, '\t'))
        out.push_back(f);
    return out;
}

struct built
{
    std::string name;
    tf::type ty;
    tf::value v;
};

// Values made through the C++ API: go-cty must read them and write the same bytes.
std::vector<built> cpp_values()
{
    using tf::number;
    using tf::type;
    using tf::value;
    std::vector<built> out;
    auto n = [](const char* s) { return value::num(*number::parse(s)); };
    out.push_back(
        {"cpp-numbers", type::list(type::number()),
         value::list(type::number(),
                     {n("0"), n("-0"), n("1e3"), n("0.1"), n("2.5"), n("-129"),
                      n("9223372036854775807"), n("9223372036854775808"), n("18446744073709551616"),
                      n("1e-30"), n("123.456e2"), value::num(*number::from_double(0.1))})});
    out.push_back(
        {"cpp-set-strings", type::set(type::string()),
         value::set(type::string(),
                    {value::string("pear"), value::string("apple"), value::unknown(type::string()),
                     value::string("pear"), value::string("Zebra"), value::string("")})});
    out.push_back({"cpp-set-numbers", type::set(type::number()),
                   value::set(type::number(), {n("10"), n("9.5"), n("-1"), n("1e2"), n("100"),
                                               value::num(*number::from_double(9.5))})});
    auto rt = type::object({{"port", type::number()}, {"proto", type::string()}});
    auto rule = [&](const char* port, const char* proto) {
        return value::object(rt, {{"port", n(port)}, {"proto", value::string(proto)}});
    };
    out.push_back(
        {"cpp-set-objects", type::set(rt),
         value::set(rt, {rule("443", "tcp"), rule("22", "tcp"), rule("53", "udp"),
                         rule("22", "tcp"), rule("1234567890123", "x\"y"), rule("0.5", "tcp"),
                         value::object(rt, {{"port", value::unknown(type::number())},
                                            {"proto", value::string("tcp")}})})});
    auto st = type::object({{"name", type::string()},
                            {"attrs", type::dynamic()},
                            {"tags", type::map(type::string())},
                            {"rules", type::set(rt)}},
                           {"tags"});
    out.push_back(
        {"cpp-object-dynamic", st,
         value::object(st, {{"name", value::string("web")},
                            {"attrs", value::tuple({value::string("a"), value::integer(2),
                                                    value::object({{"x", value::boolean(true)}})})},
                            {"tags", value::map(type::string(), {{"z", value::string("1")},
                                                                 {"a", value::string("2")}})},
                            {"rules", value::set(rt, {rule("80", "tcp")})}})});
    out.push_back({"cpp-unknowns", st,
                   value::object(st, {{"name", value::unknown(type::string())},
                                      {"attrs", value::unknown(type::dynamic())},
                                      {"tags", value::unknown(type::map(type::string()))},
                                      {"rules", value::unknown(type::set(rt))}})});
    out.push_back({"cpp-long-string", type::string(), value::string(std::string(70000, 's'))});
    out.push_back({"cpp-dynamic-null-string", type::dynamic(), value::null(type::string())});
    return out;
}

} // namespace

int main(int argc, char** argv)
{
    if (argc != 3)
    {
        std::cerr << "usage: terraform-crosscheck VECTORS OUT\n";
        return 2;
    }
    std::ifstream in(argv[1]);
    std::ofstream out(argv[2]);
    if (!in || !out)
    {
        std::cerr << "terraform-crosscheck: cannot open the files\n";
        return 2;
    }
    int checked = 0, failed = 0;
    auto fail = [&](const std::string& name, const std::string& what)
    {
        std::cout << "FAIL " << name << ": " << what << "\n";
        ++failed;
    };
    std::string line;
    while (std::getline(in, line))
    {
        auto f = split(line);
        if (f.size() != 5)
        {
            fail("?", "malformed vector line");
            continue;
        }
        const std::string& name = f[0];
        std::string tj = unhex(f[1]), mp = unhex(f[2]);
        auto ty = tf::parse_type_json(tj);
        if (!ty)
        {
            fail(name, "type JSON " + tj + ": " + ty.error().what());
            continue;
        }
        if (ty->json() != tj)
        {
            fail(name, "type JSON re-written as " + ty->json() + ", go-cty wrote " + tj);
            continue;
        }
        auto v = tf::from_msgpack(mp, *ty);
        if (!v)
        {
            fail(name, "msgpack " + f[2] + ": " + v.error().what());
            continue;
        }
        auto again = tf::to_msgpack(*v, *ty);
        if (!again || *again != mp)
        {
            fail(name, "msgpack re-encoded as " + (again ? hex(*again) : again.error().what()) +
                           ", go-cty wrote " + f[2]);
            continue;
        }
        std::string json_hex = "-";
        if (f[3] != "-")
        {
            std::string js = unhex(f[3]);
            auto jv = tf::from_json(js, *ty);
            if (!jv)
            {
                fail(name, "JSON " + js + ": " + jv.error().what());
                continue;
            }
            auto jagain = tf::to_json(*jv, *ty);
            if (!jagain || *jagain != js)
            {
                fail(name, "JSON re-encoded as " + (jagain ? *jagain : jagain.error().what()) +
                               ", go-cty wrote " + js);
                continue;
            }
            std::string js2 = unhex(f[4]);
            auto from_mp = tf::to_json(*v, *ty);
            if (!from_mp || *from_mp != js2)
            {
                fail(name, "the msgpack value writes JSON " +
                               (from_mp ? *from_mp : from_mp.error().what()) + ", go-cty wrote " +
                               js2);
                continue;
            }
            json_hex = hex(*from_mp);
        }
        out << name << '\t' << hex(ty->json()) << '\t' << hex(*again) << '\t' << json_hex << '\n';
        ++checked;
    }
    for (const auto& b : cpp_values())
    {
        auto mp = tf::to_msgpack(b.v, b.ty);
        if (!mp)
        {
            fail(b.name, mp.error().what());
            continue;
        }
        auto js = b.v.is_wholly_known() ? tf::to_json(b.v, b.ty)
                                        : tf::result<std::string>(std::string("-"));
        out << b.name << '\t' << hex(b.ty.json()) << '\t' << hex(*mp) << '\t'
            << (js && *js != "-" ? hex(*js) : std::string("-")) << '\n';
    }
    std::cout << "terraform-crosscheck: " << checked
              << " go-cty vectors decoded and re-encoded identically, " << failed << " failed\n";
    return failed == 0 && checked > 0 ? 0 : 1;
}
