// The consumer's test: implements greeter.Greeter on the generated base, serves it on a Unix
// socket and calls it through the generated stub. Exits 0 when every check passes.

#include "greeter/greeter.rpcplugin.pb.h"

#include <rpcplugin/grpc/channel.hpp>
#include <rpcplugin/grpc/server.hpp>
#include <rpcplugin/transport/endpoint.hpp>
#include <rpcplugin/transport/listener.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

namespace asio = boost::asio;
namespace grpc = rpcplugin::grpc;

namespace
{
int failures = 0;

void check(bool ok, const std::string& what)
{
    std::cout << (ok ? "ok:   " : "FAIL: ") << what << '\n';
    failures += ok ? 0 : 1;
}

class greeter_service final : public greeter::Greeter::Service
{
public:
    asio::awaitable<grpc::status> SayHello(grpc::server_context&,
                                           const greeter::HelloRequest& request,
                                           greeter::HelloReply& response) override
    {
        if (request.name().empty())
            co_return grpc::status(grpc::status_code::invalid_argument, "name is empty");
        response.set_message("Hello, " + request.name() + "!");
        co_return grpc::status();
    }

    asio::awaitable<grpc::status>
    SayHellos(grpc::server_context&, const greeter::HelloRequest& request,
              grpc::server_writer<greeter::HelloReply>& writer) override
    {
        greeter::HelloReply reply;
        for (int i = 1; i <= request.times(); ++i)
        {
            reply.set_message("Hello #" + std::to_string(i) + ", " + request.name() + "!");
            bool written = co_await writer.write(reply);
            if (!written)
                break;
        }
        co_return grpc::status();
    }
};

asio::awaitable<void> call_greeter(std::shared_ptr<grpc::channel> channel)
{
    greeter::Greeter::Stub stub(channel);

    greeter::HelloRequest request;
    request.set_name("consumer");
    greeter::HelloReply reply;
    grpc::status s = co_await stub.SayHello(request, reply);
    check(s.ok() && reply.message() == "Hello, consumer!", "SayHello answers");

    greeter::HelloRequest empty;
    s = co_await stub.SayHello(empty, reply);
    check(s.code() == grpc::status_code::invalid_argument && s.message() == "name is empty",
          "SayHello returns the handler's status");

    request.set_times(3);
    auto reader = co_await stub.SayHellos(request);
    std::vector<std::string> got;
    for (;;)
    {
        bool more = co_await reader.read(reply);
        if (!more)
            break;
        got.push_back(reply.message());
    }
    s = co_await reader.finish();
    check(s.ok() && got.size() == 3 && got.back() == "Hello #3, consumer!",
          "SayHellos streams three greetings");

    channel->close();
}

asio::awaitable<void> connect_and_call(asio::io_context& io, std::string target)
{
    auto connected = co_await grpc::channel::connect(io.get_executor(), target);
    check(connected.has_value(), "connects to " + target);
    if (!connected)
        co_return;
    std::shared_ptr<grpc::channel> channel = *connected;
    // A channel is used only on its own executor.
    co_await asio::co_spawn(channel->get_executor(), call_greeter(channel), asio::use_awaitable);
}
} // namespace

int main()
{
    std::string dir_template =
        (std::filesystem::temp_directory_path() / "greeter-test-XXXXXX").string();
    if (::mkdtemp(dir_template.data()) == nullptr)
        return 2;
    const std::filesystem::path dir = dir_template;
    const std::string path = (dir / "greeter.sock").string();

    greeter_service service;
    grpc::server server;
    greeter::Greeter::register_service(server, service);

    asio::io_context io;
    auto listener = rpcplugin::transport::listener::bind(io.get_executor(),
                                                         rpcplugin::transport::unix_endpoint(path))
                        .value();
    asio::co_spawn(io, server.serve(listener), asio::detached);
    bool finished = false;
    asio::co_spawn(io, connect_and_call(io, "unix:" + path),
                   [&](std::exception_ptr e)
                   {
                       finished = true;
                       if (e)
                       {
                           try
                           {
                               std::rethrow_exception(e);
                           }
                           catch (const std::exception& ex)
                           {
                               check(false, std::string("client threw: ") + ex.what());
                           }
                       }
                       io.stop();
                   });
    io.run_for(std::chrono::seconds(30));
    check(finished, "the client finished within 30 s");

    std::filesystem::remove_all(dir);
    std::cout << (failures == 0 ? "all checks passed\n" : "some checks failed\n");
    return failures == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
