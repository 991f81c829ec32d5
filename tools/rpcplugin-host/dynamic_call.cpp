#include "dynamic_call.hpp"

#include <google/protobuf/descriptor.pb.h>
#include <google/protobuf/util/json_util.h>

#include <fstream>
#include <sstream>

namespace rpcplugin_host
{
namespace pb = google::protobuf;
using rpcplugin::asio::awaitable;

namespace
{
// Collects BuildFile's complaints.
class error_collector final : public pb::DescriptorPool::ErrorCollector
{
public:
    void AddError(const std::string& filename, const std::string& element, const pb::Message*,
                  ErrorLocation, const std::string& message) override
    {
        if (text.empty())
            text = filename + ": " + (element.empty() ? "" : element + ": ") + message;
    }
    std::string text;
};
} // namespace

boost::system::result<std::unique_ptr<descriptor_set>, std::string>
descriptor_set::load(const std::string& path)
{
    using R = boost::system::result<std::unique_ptr<descriptor_set>, std::string>;
    std::ifstream in(path, std::ios::binary);
    if (!in)
        return R(boost::system::in_place_error, "cannot read descriptor set " + path);
    std::ostringstream bytes;
    bytes << in.rdbuf();
    pb::FileDescriptorSet fds;
    if (!fds.ParseFromString(bytes.str()))
        return R(boost::system::in_place_error,
                 path + " is not a FileDescriptorSet (protoc --descriptor_set_out)");
    auto set = std::make_unique<descriptor_set>();
    // protoc writes dependencies first with --include_imports; build in passes so any
    // order works, and report what stays unbuildable.
    std::vector<const pb::FileDescriptorProto*> pending;
    for (const auto& f : fds.file())
        pending.push_back(&f);
    while (!pending.empty())
    {
        std::vector<const pb::FileDescriptorProto*> next;
        for (const auto* f : pending)
        {
            bool deps_ready = true;
            for (const auto& d : f->dependency())
                deps_ready = deps_ready && set->pool_.FindFileByName(d) != nullptr;
            if (!deps_ready)
            {
                next.push_back(f);
                continue;
            }
            error_collector errors;
            if (!set->pool_.BuildFileCollectingErrors(*f, &errors))
                return R(boost::system::in_place_error, path + ": " + errors.text);
        }
        if (next.size() == pending.size())
        {
            std::string missing;
            for (const auto& d : next.front()->dependency())
                if (!set->pool_.FindFileByName(d))
                    missing = d;
            return R(boost::system::in_place_error,
                     path + ": " + next.front()->name() + " imports " + missing +
                         ", which the set lacks (use protoc --include_imports)");
        }
        pending.swap(next);
    }
    return R(std::move(set));
}

boost::system::result<const pb::MethodDescriptor*, std::string>
descriptor_set::find_method(std::string_view name) const
{
    using R = boost::system::result<const pb::MethodDescriptor*, std::string>;
    std::string n(name);
    if (n.starts_with('/'))
        n.erase(0, 1);
    std::string service, method;
    if (auto slash = n.find('/'); slash != std::string::npos)
    {
        service = n.substr(0, slash);
        method = n.substr(slash + 1);
    }
    else if (auto dot = n.rfind('.'); dot != std::string::npos)
    {
        service = n.substr(0, dot);
        method = n.substr(dot + 1);
    }
    if (service.empty() || method.empty())
        return R(boost::system::in_place_error,
                 "method \"" + std::string(name) + "\" is not package.Service/Method");
    const pb::ServiceDescriptor* s = pool_.FindServiceByName(service);
    if (!s)
        return R(boost::system::in_place_error, "the descriptor set has no service " + service);
    const pb::MethodDescriptor* m = s->FindMethodByName(method);
    if (!m)
    {
        std::string known;
        for (int i = 0; i < s->method_count(); ++i)
            known += (i ? ", " : "") + s->method(i)->name();
        return R(boost::system::in_place_error,
                 "service " + service + " has no method " + method + " (it has " + known + ")");
    }
    if (m->client_streaming() || m->server_streaming())
        return R(boost::system::in_place_error,
                 service + "/" + method +
                     " is a streaming method; only unary methods can be called");
    return R(m);
}

std::unique_ptr<pb::Message> descriptor_set::make(const pb::Descriptor* type)
{
    return std::unique_ptr<pb::Message>(factory_.GetPrototype(type)->New());
}

boost::system::result<std::unique_ptr<pb::Message>, std::string>
parse_request(descriptor_set& set, const pb::MethodDescriptor* method, std::string_view json)
{
    using R = boost::system::result<std::unique_ptr<pb::Message>, std::string>;
    auto msg = set.make(method->input_type());
    pb::util::JsonParseOptions opts;
    auto st =
        pb::util::JsonStringToMessage(pb::StringPiece(json.data(), json.size()), msg.get(), opts);
    if (!st.ok())
        return R(boost::system::in_place_error, "request for " + method->full_name() + " (" +
                                                    method->input_type()->full_name() +
                                                    "): " + std::string(st.message()));
    return R(std::move(msg));
}

std::string to_json(const pb::Message& m)
{
    std::string out;
    pb::util::JsonPrintOptions opts;
    if (!pb::util::MessageToJsonString(m, &out, opts).ok())
        return "null";
    return out;
}

awaitable<call_outcome> call_unary(rpcplugin::grpc::channel& ch, descriptor_set& set,
                                   const pb::MethodDescriptor* method, const pb::Message& request,
                                   std::chrono::milliseconds timeout)
{
    call_outcome out;
    out.method = method->service()->full_name() + "/" + method->name();
    out.request = to_json(request);
    auto response = set.make(method->output_type());
    std::string path = "/" + out.method;
    rpcplugin::grpc::call_options opts;
    opts.timeout = timeout;
    const auto t0 = std::chrono::steady_clock::now();
    out.status = co_await ch.unary(path, request, *response, opts);
    out.elapsed = std::chrono::steady_clock::now() - t0;
    if (out.status.ok())
        out.response = to_json(*response);
    co_return out;
}
} // namespace rpcplugin_host
