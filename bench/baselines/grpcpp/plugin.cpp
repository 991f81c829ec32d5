// grpcpp-plugin: the start-up baseline, a go-plugin plugin on gRPC C++ 1.51. Like
// rpcplugin's example plugin it checks the magic cookie RPCPLUGIN_KV_PLUGIN=kv, listens on
// a fresh Unix socket (in PLUGIN_UNIX_SOCKET_DIR, else TMPDIR, else /tmp), serves an
// application service (rpcplugin.bench.Echo) and grpc.health.v1, and prints the go-plugin
// handshake line "1|1|unix|PATH|grpc|" once the server has started. SIGTERM stops it.
#include "bench/echo.grpc.pb.h"
#include "bench/echo.pb.h"

#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>

#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>

namespace
{
using rpcplugin::bench::Echo;
using rpcplugin::bench::Payload;

class echo_service final : public Echo::Service
{
    grpc::Status Unary(grpc::ServerContext*, const Payload* req, Payload* resp) override
    {
        resp->set_data(req->data());
        return grpc::Status::OK;
    }
};

std::string socket_dir()
{
    for (const char* v : {"PLUGIN_UNIX_SOCKET_DIR", "TMPDIR"})
        if (const char* d = std::getenv(v); d && *d)
            return d;
    return "/tmp";
}
} // namespace

int main()
{
    const char* cookie = std::getenv("RPCPLUGIN_KV_PLUGIN");
    if (!cookie || std::strcmp(cookie, "kv") != 0)
    {
        std::cerr << "This binary is a plugin. These are not meant to be executed directly.\n"
                     "Please execute the program that consumes these plugins, which will\n"
                     "load any plugins automatically\n";
        return 1;
    }
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

    // A fresh name like go-plugin's (a temp file name, removed, then bound).
    std::string path = socket_dir() + "/plugin-XXXXXX";
    int fd = ::mkstemp(path.data());
    if (fd < 0)
    {
        std::cerr << "grpcpp-plugin: cannot create a socket name in " << socket_dir() << "\n";
        return 1;
    }
    ::close(fd);
    ::unlink(path.c_str());

    grpc::EnableDefaultHealthCheckService(true);
    echo_service svc;
    grpc::ServerBuilder builder;
    builder.AddListeningPort("unix:" + path, grpc::InsecureServerCredentials());
    builder.RegisterService(&svc);
    std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
    if (!server)
    {
        std::cerr << "grpcpp-plugin: cannot serve on " << path << "\n";
        return 1;
    }
    server->GetHealthCheckService()->SetServingStatus("plugin", true);
    std::printf("1|1|unix|%s|grpc|\n", path.c_str());
    std::fflush(stdout);

    std::thread waiter(
        [&]
        {
            int sig = 0;
            sigwait(&sigs, &sig);
            server->Shutdown(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
        });
    server->Wait();
    waiter.join();
    ::unlink(path.c_str());
    return 0;
}
