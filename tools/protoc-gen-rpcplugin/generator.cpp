#include "generator.hpp"

#include "templates.hpp"

#include <google/protobuf/compiler/cpp/names.h>
#include <google/protobuf/descriptor.h>
#include <google/protobuf/io/printer.h>
#include <google/protobuf/io/zero_copy_stream.h>

#include <algorithm>
#include <array>
#include <map>
#include <memory>
#include <set>
#include <utility>

namespace rpcplugin::protoc_gen
{
namespace
{
namespace pb = google::protobuf;
using vars = std::map<std::string, std::string>;

// --- options ---------------------------------------------------------------------------------

struct bool_option
{
    std::string_view key;
    bool options::*member;
};

constexpr std::array<bool_option, 2> bool_options{{
    {"client", &options::client},
    {"server", &options::server},
}};

constexpr std::string_view known_options = "client=true|false, server=true|false";

// --- names -----------------------------------------------------------------------------------

// protoc 3.21's list (cpp/helpers.cc, kKeywordList), so that our identifiers for services
// and methods get the same trailing underscore as protoc's for messages; plus the C++20
// keywords it lacks, which would not compile either.
// clang-format off
const std::set<std::string_view> cpp_keywords = {
    "NULL", "alignas", "alignof", "and", "and_eq", "asm", "auto", "bitand", "bitor", "bool",
    "break", "case", "catch", "char", "class", "compl", "const", "constexpr", "const_cast",
    "continue", "decltype", "default", "delete", "do", "double", "dynamic_cast", "else", "enum",
    "explicit", "export", "extern", "false", "float", "for", "friend", "goto", "if", "inline",
    "int", "long", "mutable", "namespace", "new", "noexcept", "not", "not_eq", "nullptr",
    "operator", "or", "or_eq", "private", "protected", "public", "register", "reinterpret_cast",
    "return", "short", "signed", "sizeof", "static", "static_assert", "static_cast", "struct",
    "switch", "template", "this", "thread_local", "throw", "true", "try", "typedef", "typeid",
    "typename", "union", "unsigned", "using", "virtual", "void", "volatile", "wchar_t", "while",
    "xor", "xor_eq",
    // C++20
    "char8_t", "char16_t", "char32_t", "concept", "consteval", "constinit", "co_await",
    "co_return", "co_yield", "requires",
};
// clang-format on

// Names the generated code declares in a service's namespace (and `Stub::channel`).
const std::set<std::string_view> reserved_names = {
    "Service", "Stub", "register_service", "service_name", "channel",
};

std::string cpp_name(const std::string& name)
{
    return cpp_keywords.count(name) ? name + "_" : name;
}

// The C++ name protoc gives a message, e.g. `::a::b::Outer_Inner`. For the well-known types
// protoc writes `::PROTOBUF_NAMESPACE_ID::`, a macro its headers undefine at their end.
std::string message_type(const pb::Descriptor* d)
{
    std::string name = pb::compiler::cpp::QualifiedClassName(d);
    constexpr std::string_view macro = "::PROTOBUF_NAMESPACE_ID::";
    if (name.starts_with(macro))
        name.replace(0, macro.size(), "::google::protobuf::");
    return name;
}

// protoc 3.21 writes package components verbatim as C++ namespaces: so must we, for the
// message types to resolve. A keyword there cannot compile, so say so clearly.
std::optional<std::string> package_namespace(const pb::FileDescriptor& file, std::string& error)
{
    std::string ns;
    const std::string& package = file.package();
    for (std::size_t begin = 0; begin < package.size();)
    {
        std::size_t end = std::min(package.find('.', begin), package.size());
        std::string part = package.substr(begin, end - begin);
        if (cpp_keywords.count(part))
        {
            error = file.name() + ": package \"" + package + "\": \"" + part +
                    "\" is a C++ keyword; protoc's C++ code uses package names verbatim as "
                    "namespaces and cannot compile it. Rename the package.";
            return std::nullopt;
        }
        ns += (ns.empty() ? "" : "::") + part;
        begin = end + 1;
    }
    return ns;
}

// --- doc comments ----------------------------------------------------------------------------

// Where the proto comment goes in a generated `/** */` block: before the generated text
// (followed by an empty comment line) or after it (preceded by one).
enum class doc_position
{
    before,
    after,
};

// The leading comment of `d` as lines of a `/** */` block at `indent`; empty when `d` has
// none.
template <class Descriptor>
std::string doc_lines(const Descriptor& d, std::string_view indent, doc_position position)
{
    pb::SourceLocation location;
    if (!d.GetSourceLocation(&location))
        return {};
    std::vector<std::string> lines;
    const std::string& text = location.leading_comments;
    for (std::size_t begin = 0; begin < text.size();)
    {
        std::size_t end = std::min(text.find('\n', begin), text.size());
        std::string line = text.substr(begin, end - begin);
        begin = end + 1;
        if (line.starts_with(' '))
            line.erase(0, 1);
        while (!line.empty() && (line.back() == ' ' || line.back() == '\t' || line.back() == '\r'))
            line.pop_back();
        for (std::size_t at = line.find("*/"); at != std::string::npos; at = line.find("*/", at))
            line.replace(at, 2, "* /");
        lines.push_back(std::move(line));
    }
    while (!lines.empty() && lines.back().empty())
        lines.pop_back();
    while (!lines.empty() && lines.front().empty())
        lines.erase(lines.begin());
    if (lines.empty())
        return {};

    std::string out;
    if (position == doc_position::after)
        out.append(indent).append(" *\n");
    for (const std::string& line : lines)
        out.append(indent).append(line.empty() ? " *\n" : " * " + line + "\n");
    if (position == doc_position::before)
        out.append(indent).append(" *\n");
    return out;
}

// --- the model of a file ---------------------------------------------------------------------

// What differs between the four call kinds.
struct kind_info
{
    const char* id; // rpc_kind enumerator
    const char* text;
    const char* service_virtual;
    const char* stub_decl;
    const char* register_call;
    const char* stub_def;
};

const kind_info& kind_of(const pb::MethodDescriptor& m)
{
    namespace t = templates;
    static const std::array<kind_info, 4> kinds{{
        {"unary", "unary", t::service_virtual_unary, t::stub_decl_unary, t::register_unary,
         t::stub_def_unary},
        {"client_streaming", "client-streaming", t::service_virtual_client_streaming,
         t::stub_decl_client_streaming, t::register_client_streaming, t::stub_def_client_streaming},
        {"server_streaming", "server-streaming", t::service_virtual_server_streaming,
         t::stub_decl_server_streaming, t::register_server_streaming, t::stub_def_server_streaming},
        {"bidi_streaming", "bidi-streaming", t::service_virtual_bidi_streaming,
         t::stub_decl_bidi_streaming, t::register_bidi_streaming, t::stub_def_bidi_streaming},
    }};
    return kinds[(m.client_streaming() ? 1 : 0) + (m.server_streaming() ? 2 : 0)];
}

struct method_model
{
    const kind_info* kind;
    vars v; // method, proto_method, full_service, request, response, kind, kind_text
    std::string doc;
};

struct service_model
{
    vars v; // namespace, full_service, doc
    std::vector<method_model> methods;
};

std::optional<service_model> make_service(const pb::ServiceDescriptor& s, const std::string& ns,
                                          std::string& error)
{
    service_model model;
    std::string service_ns = (ns.empty() ? "" : ns + "::") + cpp_name(s.name());
    model.v = {{"namespace", service_ns},
               {"full_service", s.full_name()},
               {"doc", doc_lines(s, "", doc_position::after)}};

    std::set<std::string> names;
    for (int i = 0; i < s.method_count(); ++i)
    {
        const pb::MethodDescriptor& m = *s.method(i);
        std::string name = cpp_name(m.name());
        if (reserved_names.count(name) || !names.insert(name).second)
        {
            error = s.file()->name() + ": method " + m.full_name() + ": the C++ name \"" + name +
                    "\" is already used by the generated code. Rename the method.";
            return std::nullopt;
        }
        const kind_info& kind = kind_of(m);
        model.methods.push_back(method_model{
            &kind,
            {{"method", name},
             {"proto_method", m.name()},
             {"full_service", s.full_name()},
             {"request", message_type(m.input_type())},
             {"response", message_type(m.output_type())},
             {"kind", kind.id},
             {"kind_text", kind.text}},
            doc_lines(m, "    ", doc_position::before),
        });
    }
    return model;
}

// --- printing --------------------------------------------------------------------------------

vars with(vars v, const std::string& key, std::string value)
{
    v[key] = std::move(value);
    return v;
}

void print_header(pb::io::Printer& p, const pb::FileDescriptor& file, const std::string& base,
                  const std::vector<service_model>& services, const options& opts)
{
    p.Print(vars{{"proto", file.name()}, {"pb_h", base + ".pb.h"}}, templates::header_prologue);
    if (services.empty())
        return;
    p.Print(templates::header_includes_common);
    if (opts.server)
        p.Print(templates::header_includes_server);
    if (opts.client)
        p.Print(templates::header_includes_client);
    p.Print(templates::header_includes_std);

    for (const service_model& s : services)
    {
        p.Print(s.v, templates::service_open);
        for (const method_model& m : s.methods)
            p.Print(m.v, templates::method_traits);
        if (opts.server)
        {
            p.Print(s.v, templates::service_class_open);
            for (const method_model& m : s.methods)
                p.Print(with(m.v, "doc", m.doc), m.kind->service_virtual);
            p.Print(templates::service_class_close);
        }
        if (opts.client)
        {
            p.Print(s.v, templates::stub_class_open);
            for (const method_model& m : s.methods)
                p.Print(with(m.v, "doc", m.doc), m.kind->stub_decl);
            p.Print(templates::stub_class_close);
        }
        p.Print(s.v, templates::service_close);
    }
}

void print_source(pb::io::Printer& p, const pb::FileDescriptor& file, const std::string& base,
                  const std::vector<service_model>& services, const options& opts)
{
    p.Print(vars{{"proto", file.name()}, {"rpcplugin_h", base + ".rpcplugin.pb.h"}},
            templates::source_prologue);
    if (services.empty() || !(opts.server || opts.client))
        return;
    p.Print(templates::source_includes);

    for (const service_model& s : services)
    {
        p.Print(s.v, templates::source_namespace_open);
        if (opts.server)
        {
            p.Print(s.methods.empty() ? templates::register_open_empty : templates::register_open);
            for (const method_model& m : s.methods)
                p.Print(m.v, m.kind->register_call);
            p.Print(templates::register_close);
        }
        if (opts.client)
        {
            if (opts.server)
                p.Print("\n");
            p.Print(templates::stub_constructor);
            for (const method_model& m : s.methods)
                p.Print(m.v, m.kind->stub_def);
        }
        p.Print(s.v, templates::source_namespace_close);
    }
}

bool write_file(pb::compiler::GeneratorContext& context, const std::string& name, const auto& print,
                std::string& error)
{
    std::unique_ptr<pb::io::ZeroCopyOutputStream> out(context.Open(name));
    {
        pb::io::Printer printer(out.get(), '$');
        print(printer);
        if (printer.failed())
        {
            error = name + ": write failed";
            return false;
        }
    }
    return true;
}

bool generate_file(const pb::FileDescriptor& file, const options& opts,
                   pb::compiler::GeneratorContext& context, std::string& error)
{
    std::vector<service_model> services;
    if (file.service_count() > 0)
    {
        std::optional<std::string> ns = package_namespace(file, error);
        if (!ns)
            return false;
        for (int i = 0; i < file.service_count(); ++i)
        {
            std::optional<service_model> s = make_service(*file.service(i), *ns, error);
            if (!s)
                return false;
            services.push_back(std::move(*s));
        }
    }

    const std::string base = pb::compiler::cpp::StripProto(file.name());
    return write_file(
               context, base + ".rpcplugin.pb.h",
               [&](pb::io::Printer& p) { print_header(p, file, base, services, opts); }, error) &&
           write_file(
               context, base + ".rpcplugin.pb.cc",
               [&](pb::io::Printer& p) { print_source(p, file, base, services, opts); }, error);
}
} // namespace

std::optional<options> parse_options(std::string_view parameter, std::string& error)
{
    options opts;
    std::set<std::string_view> seen;
    for (std::size_t begin = 0; !parameter.empty();)
    {
        std::size_t end = std::min(parameter.find(',', begin), parameter.size());
        std::string_view item = parameter.substr(begin, end - begin);
        std::size_t eq = item.find('=');
        std::string_view key = item.substr(0, eq);
        auto known = std::find_if(bool_options.begin(), bool_options.end(),
                                  [&](const bool_option& o) { return o.key == key; });
        if (item.empty())
        {
            error = "empty option in \"" + std::string(parameter) +
                    "\" (options are comma-separated key=value)";
            return std::nullopt;
        }
        if (known == bool_options.end())
        {
            error = "unknown option \"" + std::string(key) +
                    "\" (known options: " + std::string(known_options) + ")";
            return std::nullopt;
        }
        if (!seen.insert(key).second)
        {
            error = "option \"" + std::string(key) + "\" is given twice";
            return std::nullopt;
        }
        std::string_view value = eq == std::string_view::npos ? "" : item.substr(eq + 1);
        if (value != "true" && value != "false")
        {
            error = "option \"" + std::string(item) + "\" is malformed: write " + std::string(key) +
                    "=true or " + std::string(key) + "=false";
            return std::nullopt;
        }
        opts.*(known->member) = value == "true";
        if (end == parameter.size())
            break;
        begin = end + 1;
    }
    return opts;
}

bool generator::Generate(const pb::FileDescriptor* file, const std::string& parameter,
                         pb::compiler::GeneratorContext* context, std::string* error) const
{
    return GenerateAll({file}, parameter, context, error);
}

bool generator::GenerateAll(const std::vector<const pb::FileDescriptor*>& files,
                            const std::string& parameter, pb::compiler::GeneratorContext* context,
                            std::string* error) const
{
    std::optional<options> opts = parse_options(parameter, *error);
    if (!opts)
        return false;
    for (const pb::FileDescriptor* file : files)
    {
        if (!generate_file(*file, *opts, *context, *error))
            return false;
    }
    return true;
}
} // namespace rpcplugin::protoc_gen
