// grpcpp-echo-server: rpcplugin.bench.Echo on gRPC C++ 1.51 (Debian's libgrpc++), the
// baseline rpcplugin-bench compares rpcplugin's server with.
//
//   grpcpp-echo-server --api sync|callback --listen unix:PATH|HOST:PORT
//                      [--tls --cert FILE --key FILE]
//
// Default settings of gRPC (thread pools, windows, message limits), as an application
// would start it. Prints "READY <address>" once serving; SIGTERM or SIGINT shuts it down.
#include "bench/echo.grpc.pb.h"
#include "bench/echo.pb.h"
#include "support/program.hpp"

#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/server_context.h>

#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>

namespace
{
using rpcplugin::bench::Echo;
using rpcplugin::bench::Payload;
using rpcplugin::bench::StreamRequest;

constexpr unsigned long long max_stream_bytes = 1ull << 30;

grpc::Status check_stream(const StreamRequest& r)
{
    if (static_cast<unsigned long long>(r.size()) * r.count() > max_stream_bytes)
        return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "size * count over 1 GiB");
    return grpc::Status::OK;
}

class sync_service final : public Echo::Service
{
    grpc::Status Unary(grpc::ServerContext*, const Payload* req, Payload* resp) override
    {
        resp->set_data(req->data());
        return grpc::Status::OK;
    }

    grpc::Status ServerStream(grpc::ServerContext*, const StreamRequest* req,
                              grpc::ServerWriter<Payload>* writer) override
    {
        if (auto s = check_stream(*req); !s.ok())
            return s;
        Payload p;
        p.mutable_data()->assign(req->size(), 'x');
        for (std::uint32_t i = 0; i < req->count(); ++i)
            if (!writer->Write(p))
                return grpc::Status(grpc::StatusCode::CANCELLED, "stream ended by the client");
        return grpc::Status::OK;
    }

    grpc::Status Bidi(grpc::ServerContext*,
                      grpc::ServerReaderWriter<Payload, Payload>* stream) override
    {
        Payload p;
        while (stream->Read(&p))
            if (!stream->Write(p))
                return grpc::Status(grpc::StatusCode::CANCELLED, "stream ended by the client");
        return grpc::Status::OK;
    }
};

class stream_writer final : public grpc::ServerWriteReactor<Payload>
{
public:
    explicit stream_writer(const StreamRequest& req)
        : left_(req.count())
    {
        if (auto s = check_stream(req); !s.ok())
        {
            Finish(s);
            return;
        }
        msg_.mutable_data()->assign(req.size(), 'x');
        next();
    }

    void OnWriteDone(bool ok) override
    {
        if (!ok)
            Finish(grpc::Status(grpc::StatusCode::CANCELLED, "stream ended by the client"));
        else
            next();
    }

    void OnDone() override { delete this; }

private:
    void next()
    {
        if (left_ == 0)
        {
            Finish(grpc::Status::OK);
            return;
        }
        --left_;
        StartWrite(&msg_);
    }

    Payload msg_;
    std::uint32_t left_;
};

class bidi_echo final : public grpc::ServerBidiReactor<Payload, Payload>
{
public:
    bidi_echo() { StartRead(&msg_); }

    void OnReadDone(bool ok) override
    {
        if (!ok)
            Finish(grpc::Status::OK);
        else
            StartWrite(&msg_);
    }

    void OnWriteDone(bool ok) override
    {
        if (!ok)
            Finish(grpc::Status(grpc::StatusCode::CANCELLED, "stream ended by the client"));
        else
            StartRead(&msg_);
    }

    void OnDone() override { delete this; }

private:
    Payload msg_;
};

class callback_service final : public Echo::CallbackService
{
    grpc::ServerUnaryReactor* Unary(grpc::CallbackServerContext* ctx, const Payload* req,
                                    Payload* resp) override
    {
        resp->set_data(req->data());
        auto* r = ctx->DefaultReactor();
        r->Finish(grpc::Status::OK);
        return r;
    }

    grpc::ServerWriteReactor<Payload>* ServerStream(grpc::CallbackServerContext*,
                                                    const StreamRequest* req) override
    {
        return new stream_writer(*req);
    }

    grpc::ServerBidiReactor<Payload, Payload>* Bidi(grpc::CallbackServerContext*) override
    {
        return new bidi_echo();
    }
};

int usage()
{
    std::cerr << "usage: grpcpp-echo-server --api sync|callback --listen unix:PATH|HOST:PORT "
                 "[--tls --cert FILE --key FILE]\n";
    return 2;
}
} // namespace

int main(int argc, char** argv)
{
    std::string api = "sync", listen, cert, key;
    bool tls = false;
    try
    {
        for (rpcplugin::test::program_args args(argc, argv); args.next();)
        {
            if (args.is("--api"))
                api = args.value();
            else if (args.is("--listen"))
                listen = args.value();
            else if (args.is("--tls"))
                tls = true;
            else if (args.is("--cert"))
                cert = args.value();
            else if (args.is("--key"))
                key = args.value();
            else
                return usage();
        }
    }
    catch (const std::logic_error& e) // a missing value
    {
        std::cerr << "error: " << e.what() << "\n";
        return usage();
    }
    if (listen.empty() || (api != "sync" && api != "callback") ||
        (tls && (cert.empty() || key.empty())))
        return usage();

    // Signals go to a thread that shuts the server down.
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, nullptr);

    std::shared_ptr<grpc::ServerCredentials> creds = grpc::InsecureServerCredentials();
    if (tls)
    {
        grpc::SslServerCredentialsOptions o;
        try
        {
            o.pem_key_cert_pairs.push_back(
                {rpcplugin::test::read_file(key), rpcplugin::test::read_file(cert)});
        }
        catch (const std::exception& e)
        {
            std::cerr << "grpcpp-echo-server: " << e.what() << "\n";
            return 1;
        }
        creds = grpc::SslServerCredentials(o);
    }
    sync_service sync_svc;
    callback_service callback_svc;
    grpc::ServerBuilder builder;
    int port = 0;
    builder.AddListeningPort(listen, creds, &port);
    if (api == "sync")
        builder.RegisterService(&sync_svc);
    else
        builder.RegisterService(&callback_svc);
    std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
    if (!server)
    {
        std::cerr << "grpcpp-echo-server: cannot serve on " << listen << "\n";
        return 1;
    }
    std::string address = listen;
    if (listen.rfind("unix:", 0) != 0)
        address = listen.substr(0, listen.rfind(':')) + ":" + std::to_string(port);
    std::cout << "READY " << address << std::endl;

    std::thread waiter(
        [&]
        {
            int sig = 0;
            sigwait(&sigs, &sig);
            server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
        });
    server->Wait();
    waiter.join();
    return 0;
}
