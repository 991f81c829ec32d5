#include "plugin/detail/self_check.hpp"

#include "rpcplugin/grpc/channel.hpp"

#include "grpc/health/v1/health.pb.h"

#include <boost/asio/this_coro.hpp>

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

namespace rpcplugin::plugin::detail
{
namespace
{
// OpenSSL calls this for every certificate of the client's chain; `ok` is its own verdict.
int verify_or_own(int ok, X509_STORE_CTX* store)
{
    if (ok == 1)
        return 1;
    auto* ssl =
        static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
    if (!ssl)
        return 0;
    X509* own = SSL_get_certificate(ssl);
    X509* leaf = X509_STORE_CTX_get0_cert(store);
    return own && leaf && X509_cmp(own, leaf) == 0 ? 1 : 0;
}
} // namespace

void accept_own_certificate(asio::ssl::context& ctx)
{
    SSL_CTX* native = ctx.native_handle();
    SSL_CTX_set_verify(native, SSL_CTX_get_verify_mode(native), verify_or_own);
}

asio::awaitable<bool> check_serving(self_check_target t, std::chrono::milliseconds timeout)
{
    auto ex = co_await asio::this_coro::executor;
    grpc::channel_options o;
    o.tls = t.tls;
    o.connect_timeout = timeout;
    auto ch = co_await grpc::channel::connect(ex, t.target, o);
    if (!ch)
        co_return false;
    ::grpc::health::v1::HealthCheckRequest req;
    req.set_service("plugin");
    ::grpc::health::v1::HealthCheckResponse resp;
    grpc::call_options co;
    co.timeout = timeout;
    std::string path = "/grpc.health.v1.Health/Check";
    grpc::status s = co_await (*ch)->unary(std::move(path), req, resp, std::move(co));
    (*ch)->close();
    if (!t.health_enabled)
        co_return s.code() == grpc::status_code::unimplemented;
    co_return s.ok() && resp.status() == ::grpc::health::v1::HealthCheckResponse::SERVING;
}
} // namespace rpcplugin::plugin::detail
