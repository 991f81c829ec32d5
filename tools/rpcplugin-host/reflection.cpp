#include "reflection.hpp"

#include "grpc/reflection/v1alpha/reflection.pb.h"

#include <algorithm>

namespace rpcplugin_host
{
namespace rg = rpcplugin::grpc;
namespace refl = ::grpc::reflection::v1alpha;

rpcplugin::asio::awaitable<reflection_answer> list_services(rg::channel& ch,
                                                            std::chrono::milliseconds timeout)
{
    reflection_answer out;
    std::string path = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";
    rg::call_options opts;
    opts.timeout = timeout;
    auto call = ch.start_call(path, opts);
    refl::ServerReflectionRequest req;
    req.set_list_services("*");
    rg::write_options wo;
    bool ok = co_await call->write(req, wo);
    call->writes_done();
    refl::ServerReflectionResponse resp;
    bool got = false;
    if (ok)
        got = co_await call->read(resp);
    if (got)
    {
        for (const auto& s : resp.list_services_response().service())
            out.services.push_back(s.name());
        if (resp.has_error_response())
            out.error = resp.error_response().error_message();
    }
    out.status = co_await call->finish();
    std::sort(out.services.begin(), out.services.end());
    co_return out;
}
} // namespace rpcplugin_host
