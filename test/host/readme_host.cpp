// The README's "Host a plugin" example: launch the KV plugin, call it, shut it down.
//   readme_host PATH-TO-rpcplugin-kv-plugin
#include <rpcplugin/host/plugin_client.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

#include "kv/kv.pb.h"

#include <iostream>

namespace asio = boost::asio;
namespace host = rpcplugin::host;

namespace
{
asio::awaitable<int> use_plugin(std::string path)
{
    auto ex = co_await asio::this_coro::executor;
    host::client_config cfg; // AutoMTLS on, go-plugin's timeouts
    cfg.magic_cookie_key = "RPCPLUGIN_KV_PLUGIN";
    cfg.magic_cookie_value = "kv";
    cfg.protocol_versions = {1};
    host::command cmd{path, {}};
    auto client = co_await host::plugin_client::launch(ex, cmd, cfg);
    if (!client)
    {
        std::cerr << client.error() << "\n"; // e.g. "plugin exited before we could connect ..."
        co_return 1;
    }
    kv::PutRequest put;
    put.set_key("greeting");
    put.set_value("hello");
    kv::Empty empty;
    std::string method = "/kv.KV/Put";
    rpcplugin::grpc::call_options opts;
    rpcplugin::grpc::status s = co_await (*client)->channel()->unary(method, put, empty, opts);
    std::cout << "Put: " << s << "\n";
    host::shutdown_result done =
        co_await (*client)->shutdown(); // Controller.Shutdown, 2 s, SIGKILL
    std::cout << "plugin " << (done.exit ? done.exit->to_string() : "?") << "\n";
    co_return s.ok() && done.graceful ? 0 : 1;
}
} // namespace

int main(int argc, char** argv)
{
    if (argc != 2)
        return 2;
    asio::io_context io;
    int code = 1;
    asio::co_spawn(io, use_plugin(argv[1]), [&](std::exception_ptr, int c) { code = c; });
    io.run();
    return code;
}
