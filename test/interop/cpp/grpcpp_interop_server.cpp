// grpcpp-interop-server: gRPC's interop test server (grpc.testing.TestService, see
// doc/interop-test-descriptions.md upstream) on gRPC C++'s own runtime, a reference peer
// for testing rpcplugin's client against real gRPC (and, with --api callback, the
// baseline for benchmarks).
//
//   grpcpp-interop-server [--api sync|callback] --listen unix:/path|HOST:PORT
//       [--tls --cert FILE --key FILE [--client-ca FILE]]
//
// Once serving it prints "READY <address>" (with the chosen port for port 0) on stdout.
// SIGTERM or SIGINT shuts it down (in-flight calls get a second) and it exits 0.
//
// Both flavours implement every method but UnimplementedCall, with the same behaviour:
//  - Echo Metadata: x-grpc-test-echo-initial comes back as initial metadata and
//    x-grpc-test-echo-trailing-bin as trailing metadata, on every method.
//  - Echo Status: a non-OK response_status ends UnaryCall, FullDuplexCall and
//    HalfDuplexCall (when that request is read) and StreamingOutputCall (after its
//    responses) with that status.
//  - CompressedRequest: when expect_compressed is present, the compressed flag of the
//    message just received must match it, else INVALID_ARGUMENT. The flag is read from
//    gRPC core's test-only per-message flags, as gRPC's own interop server does
//    (InteropServerContextInspector); the call's grpc-encoding alone cannot tell, since
//    a gzip call may carry uncompressed messages.
//  - CompressedResponse: UnaryCall's response_compressed=true sets the call's algorithm
//    to gzip. A streaming call turns gzip on before its first response if any of that
//    request's responses asks for compression, and every response not asking for it is
//    written with WriteOptions::set_no_compression().
//  - interval_us: waited before each response (a polling sleep that notices
//    cancellation in the sync flavour, a grpc::Alarm in the callback flavour).
#include "grpc/testing/empty.pb.h"
#include "grpc/testing/messages.pb.h"
#include "grpc/testing/test.grpc.pb.h"
#include "support/program.hpp"

#include <grpc/grpc.h>
#include <grpcpp/alarm.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server.h>
#include <grpcpp/server_builder.h>
#include <grpcpp/server_context.h>

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <iostream>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

// Exported by gRPC core (src/core/lib/surface/call_test_only.h, not installed): the
// flags of the last message received on a call. gRPC's interop server reads them the
// same way to check expect_compressed.
uint32_t grpc_call_test_only_get_message_flags(grpc_call* call);

namespace
{
namespace pb = ::grpc::testing;
using grpc::Status;
using grpc::StatusCode;

// Message flags set by core on a received message that was compressed (before and after
// the decompression filter ran respectively); from src/core/lib/transport/transport.h.
constexpr std::uint32_t internal_compress_flag = 0x80000000u;
constexpr std::uint32_t internal_was_compressed_flag = 0x40000000u;

constexpr std::string_view echo_initial_key = "x-grpc-test-echo-initial";
constexpr std::string_view echo_trailing_key = "x-grpc-test-echo-trailing-bin";
constexpr std::string_view server_id = "grpcpp-interop-server";

// ---- behaviour shared by both flavours ----

void echo_metadata(grpc::ServerContextBase& ctx)
{
    const auto& md = ctx.client_metadata();
    auto value = [&](std::string_view key) -> const grpc::string_ref*
    {
        auto it = md.find(grpc::string_ref(key.data(), key.size()));
        return it == md.end() ? nullptr : &it->second;
    };
    if (const auto* v = value(echo_initial_key))
        ctx.AddInitialMetadata(std::string(echo_initial_key), std::string(v->data(), v->size()));
    if (const auto* v = value(echo_trailing_key))
        ctx.AddTrailingMetadata(std::string(echo_trailing_key), std::string(v->data(), v->size()));
}

// Echo Status: true if the request carries a status to end the call with.
bool has_echo_status(bool present, const pb::EchoStatus& s)
{
    return present && s.code() != 0;
}

Status echo_status(const pb::EchoStatus& s)
{
    return Status(static_cast<StatusCode>(s.code()), s.message());
}

// CompressedRequest: the message just received must have been compressed exactly as
// expect_compressed says, when it is present.
Status check_compression(grpc::ServerContextBase& ctx, bool present, const pb::BoolValue& expect)
{
    if (!present)
        return Status::OK;
    const std::uint32_t flags = grpc_call_test_only_get_message_flags(ctx.c_call());
    const bool compressed = (flags & (internal_compress_flag | internal_was_compressed_flag)) != 0;
    if (compressed == expect.value())
        return Status::OK;
    return Status(StatusCode::INVALID_ARGUMENT,
                  expect.value()
                      ? "expect_compressed is true but the request message was not compressed"
                      : "expect_compressed is false but the request message was compressed");
}

Status fill_payload(pb::PayloadType type, std::int32_t size, pb::Payload& p)
{
    if (type != pb::COMPRESSABLE)
        return Status(StatusCode::INVALID_ARGUMENT, "unsupported response_type");
    if (size < 0)
        return Status(StatusCode::INVALID_ARGUMENT, "negative response size");
    p.set_type(type);
    p.mutable_body()->assign(static_cast<std::size_t>(size), '\0');
    return Status::OK;
}

Status unary_call(grpc::ServerContextBase& ctx, const pb::SimpleRequest& req,
                  pb::SimpleResponse& resp)
{
    echo_metadata(ctx);
    if (auto s = check_compression(ctx, req.has_expect_compressed(), req.expect_compressed());
        !s.ok())
        return s;
    if (has_echo_status(req.has_response_status(), req.response_status()))
        return echo_status(req.response_status());
    if (auto s = fill_payload(req.response_type(), req.response_size(), *resp.mutable_payload());
        !s.ok())
        return s;
    if (req.fill_server_id())
        resp.set_server_id(std::string(server_id));
    // Without a per-message option on unary calls, the call's algorithm decides; it is
    // identity unless asked for.
    if (req.response_compressed().value())
        ctx.set_compression_algorithm(GRPC_COMPRESS_GZIP);
    return Status::OK;
}

// CacheableUnaryCall: a fresh timestamp, marked cacheable (as in grpc-go's server).
Status cacheable_unary_call(grpc::ServerContextBase& ctx, pb::SimpleResponse& resp)
{
    echo_metadata(ctx);
    ctx.AddInitialMetadata("cache-control", "max-age=60, public");
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    resp.mutable_payload()->set_body(
        std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count()));
    return Status::OK;
}

// The encoding of a streaming call's responses, fixed before its first response (when
// the response headers, which name it, go out).
class response_encoding
{
public:
    void decide(grpc::ServerContextBase& ctx, const pb::StreamingOutputCallRequest& req)
    {
        if (decided_ || req.response_parameters_size() == 0)
            return;
        decided_ = true;
        gzip_ = std::any_of(req.response_parameters().begin(), req.response_parameters().end(),
                            [](const pb::ResponseParameters& p) { return p.compressed().value(); });
        if (gzip_)
            ctx.set_compression_algorithm(GRPC_COMPRESS_GZIP);
    }

    grpc::WriteOptions options(const pb::ResponseParameters& p) const
    {
        grpc::WriteOptions o;
        if (!(gzip_ && p.compressed().value()))
            o.set_no_compression();
        return o;
    }

private:
    bool decided_ = false;
    bool gzip_ = false;
};

// ---- the synchronous flavour ----

// Waits interval_us; false if the call was cancelled meanwhile.
bool pause(grpc::ServerContext& ctx, std::int32_t interval_us)
{
    using clock = std::chrono::steady_clock;
    const auto until = clock::now() + std::chrono::microseconds(std::max(interval_us, 0));
    for (auto now = clock::now(); now < until; now = clock::now())
    {
        if (ctx.IsCancelled())
            return false;
        std::this_thread::sleep_for(
            std::min<clock::duration>(until - now, std::chrono::milliseconds(5)));
    }
    return !ctx.IsCancelled();
}

// Writes the responses one StreamingOutputCallRequest asks for.
template <class Writer>
Status respond(grpc::ServerContext& ctx, Writer& w, response_encoding& enc,
               const pb::StreamingOutputCallRequest& req)
{
    enc.decide(ctx, req);
    for (const auto& p : req.response_parameters())
    {
        if (!pause(ctx, p.interval_us()))
            return Status(StatusCode::CANCELLED, "call cancelled while waiting to respond");
        pb::StreamingOutputCallResponse resp;
        if (auto s = fill_payload(req.response_type(), p.size(), *resp.mutable_payload()); !s.ok())
            return s;
        if (!w.Write(resp, enc.options(p)))
            return Status(StatusCode::INTERNAL, "Error writing response.");
    }
    return Status::OK;
}

class sync_service final : public pb::TestService::Service
{
public:
    Status EmptyCall(grpc::ServerContext* ctx, const pb::Empty*, pb::Empty*) override
    {
        echo_metadata(*ctx);
        return Status::OK;
    }

    Status UnaryCall(grpc::ServerContext* ctx, const pb::SimpleRequest* req,
                     pb::SimpleResponse* resp) override
    {
        return unary_call(*ctx, *req, *resp);
    }

    Status CacheableUnaryCall(grpc::ServerContext* ctx, const pb::SimpleRequest*,
                              pb::SimpleResponse* resp) override
    {
        return cacheable_unary_call(*ctx, *resp);
    }

    Status StreamingOutputCall(grpc::ServerContext* ctx, const pb::StreamingOutputCallRequest* req,
                               grpc::ServerWriter<pb::StreamingOutputCallResponse>* w) override
    {
        echo_metadata(*ctx);
        response_encoding enc;
        if (auto s = respond(*ctx, *w, enc, *req); !s.ok())
            return s;
        if (has_echo_status(req->has_response_status(), req->response_status()))
            return echo_status(req->response_status());
        return Status::OK;
    }

    Status StreamingInputCall(grpc::ServerContext* ctx,
                              grpc::ServerReader<pb::StreamingInputCallRequest>* r,
                              pb::StreamingInputCallResponse* resp) override
    {
        echo_metadata(*ctx);
        pb::StreamingInputCallRequest req;
        std::int64_t total = 0;
        while (r->Read(&req))
        {
            if (auto s =
                    check_compression(*ctx, req.has_expect_compressed(), req.expect_compressed());
                !s.ok())
                return s;
            total += static_cast<std::int64_t>(req.payload().body().size());
        }
        resp->set_aggregated_payload_size(static_cast<std::int32_t>(total));
        return Status::OK;
    }

    Status FullDuplexCall(grpc::ServerContext* ctx,
                          grpc::ServerReaderWriter<pb::StreamingOutputCallResponse,
                                                   pb::StreamingOutputCallRequest>* stream) override
    {
        echo_metadata(*ctx);
        response_encoding enc;
        pb::StreamingOutputCallRequest req;
        while (stream->Read(&req))
        {
            if (has_echo_status(req.has_response_status(), req.response_status()))
                return echo_status(req.response_status());
            if (auto s = respond(*ctx, *stream, enc, req); !s.ok())
                return s;
        }
        return Status::OK;
    }

    Status HalfDuplexCall(grpc::ServerContext* ctx,
                          grpc::ServerReaderWriter<pb::StreamingOutputCallResponse,
                                                   pb::StreamingOutputCallRequest>* stream) override
    {
        echo_metadata(*ctx);
        std::vector<pb::StreamingOutputCallRequest> all;
        pb::StreamingOutputCallRequest req;
        while (stream->Read(&req))
        {
            if (has_echo_status(req.has_response_status(), req.response_status()))
                return echo_status(req.response_status());
            all.push_back(req);
        }
        response_encoding enc;
        for (const auto& r : all)
            if (auto s = respond(*ctx, *stream, enc, r); !s.ok())
                return s;
        return Status::OK;
    }
};

// ---- the callback flavour ----

// The write side of StreamingOutputCall, FullDuplexCall and HalfDuplexCall: queues the
// responses StreamingOutputCallRequests ask for and writes them one at a time, waiting
// interval_us before each on a grpc::Alarm. Reactions run one after another (a read, or
// a write, or an alarm at a time), so only OnCancel, which may run concurrently with
// them, needs the lock. Finish is the last thing any reaction does: OnDone may follow
// (and delete this) at once.
template <class Base>
class responder : public Base
{
public:
    void OnWriteDone(bool ok) override
    {
        if (!ok)
        {
            this->Finish(Status(StatusCode::CANCELLED, "write failed: the call has ended"));
            return;
        }
        pending_.pop_front();
        send_next();
    }

    void OnCancel() override
    {
        std::lock_guard lk(mu_);
        cancelled_ = true;
        if (alarm_)
            alarm_->Cancel(); // its callback runs (ok=false) on gRPC's executor
    }

    void OnDone() override { delete this; }

protected:
    explicit responder(grpc::CallbackServerContext* ctx)
        : ctx_(ctx)
    {
        echo_metadata(*ctx);
    }

    // Called when the queue is empty: read on, or Finish.
    virtual void idle() = 0;

    // Queues the responses `req` asks for; a non-OK status if it asks for a bad one.
    Status queue(const pb::StreamingOutputCallRequest& req)
    {
        enc_.decide(*ctx_, req);
        for (const auto& p : req.response_parameters())
        {
            pb::StreamingOutputCallResponse resp;
            if (auto s = fill_payload(req.response_type(), p.size(), *resp.mutable_payload());
                !s.ok())
                return s;
            pending_.push_back({std::move(resp), p.interval_us(), enc_.options(p)});
        }
        return Status::OK;
    }

    // Writes the next queued response (after its interval), or calls idle().
    void send_next()
    {
        if (pending_.empty())
        {
            idle();
            return;
        }
        const std::int32_t us = pending_.front().interval_us;
        if (us <= 0)
        {
            write_front();
            return;
        }
        bool cancelled = false;
        {
            std::lock_guard lk(mu_);
            cancelled = cancelled_;
            if (!cancelled)
            {
                alarm_ = std::make_unique<grpc::Alarm>();
                alarm_->Set(std::chrono::system_clock::now() + std::chrono::microseconds(us),
                            [this](bool fired)
                            {
                                if (fired)
                                    write_front();
                                else
                                    this->Finish(Status(StatusCode::CANCELLED,
                                                        "call cancelled while waiting to respond"));
                            });
            }
        }
        if (cancelled)
            this->Finish(Status(StatusCode::CANCELLED, "call cancelled while waiting to respond"));
    }

    grpc::CallbackServerContext* ctx_;

private:
    struct planned
    {
        pb::StreamingOutputCallResponse response;
        std::int32_t interval_us;
        grpc::WriteOptions options;
    };

    void write_front() { this->StartWrite(&pending_.front().response, pending_.front().options); }

    response_encoding enc_;
    std::deque<planned> pending_;
    std::mutex mu_;
    bool cancelled_ = false;
    std::unique_ptr<grpc::Alarm> alarm_;
};

using write_reactor = grpc::ServerWriteReactor<pb::StreamingOutputCallResponse>;
using bidi_reactor =
    grpc::ServerBidiReactor<pb::StreamingOutputCallRequest, pb::StreamingOutputCallResponse>;

class streaming_output_reactor final : public responder<write_reactor>
{
public:
    streaming_output_reactor(grpc::CallbackServerContext* ctx,
                             const pb::StreamingOutputCallRequest& req)
        : responder(ctx)
    {
        if (has_echo_status(req.has_response_status(), req.response_status()))
            final_ = echo_status(req.response_status());
        if (auto s = queue(req); !s.ok())
        {
            Finish(s);
            return;
        }
        send_next();
    }

private:
    void idle() override { Finish(final_); }

    Status final_;
};

class full_duplex_reactor final : public responder<bidi_reactor>
{
public:
    explicit full_duplex_reactor(grpc::CallbackServerContext* ctx)
        : responder(ctx)
    {
        StartRead(&req_);
    }

    void OnReadDone(bool ok) override
    {
        if (!ok) // half-closed (or cancelled); every response has been written
        {
            Finish(Status::OK);
            return;
        }
        if (has_echo_status(req_.has_response_status(), req_.response_status()))
        {
            Finish(echo_status(req_.response_status()));
            return;
        }
        if (auto s = queue(req_); !s.ok())
        {
            Finish(s);
            return;
        }
        send_next();
    }

private:
    void idle() override { StartRead(&req_); }

    pb::StreamingOutputCallRequest req_;
};

class half_duplex_reactor final : public responder<bidi_reactor>
{
public:
    explicit half_duplex_reactor(grpc::CallbackServerContext* ctx)
        : responder(ctx)
    {
        StartRead(&req_);
    }

    void OnReadDone(bool ok) override
    {
        if (ok)
        {
            if (has_echo_status(req_.has_response_status(), req_.response_status()))
            {
                Finish(echo_status(req_.response_status()));
                return;
            }
            requests_.push_back(req_);
            StartRead(&req_);
            return;
        }
        for (const auto& r : requests_)
            if (auto s = queue(r); !s.ok())
            {
                Finish(s);
                return;
            }
        requests_.clear();
        send_next();
    }

private:
    void idle() override { Finish(Status::OK); }

    pb::StreamingOutputCallRequest req_;
    std::vector<pb::StreamingOutputCallRequest> requests_;
};

class streaming_input_reactor final : public grpc::ServerReadReactor<pb::StreamingInputCallRequest>
{
public:
    streaming_input_reactor(grpc::CallbackServerContext* ctx, pb::StreamingInputCallResponse* resp)
        : ctx_(ctx)
        , resp_(resp)
    {
        echo_metadata(*ctx);
        StartRead(&req_);
    }

    void OnReadDone(bool ok) override
    {
        if (!ok)
        {
            resp_->set_aggregated_payload_size(static_cast<std::int32_t>(total_));
            Finish(Status::OK);
            return;
        }
        if (auto s =
                check_compression(*ctx_, req_.has_expect_compressed(), req_.expect_compressed());
            !s.ok())
        {
            Finish(s);
            return;
        }
        total_ += static_cast<std::int64_t>(req_.payload().body().size());
        StartRead(&req_);
    }

    void OnDone() override { delete this; }

private:
    grpc::CallbackServerContext* ctx_;
    pb::StreamingInputCallResponse* resp_;
    pb::StreamingInputCallRequest req_;
    std::int64_t total_ = 0;
};

class callback_service final : public pb::TestService::CallbackService
{
public:
    grpc::ServerUnaryReactor* EmptyCall(grpc::CallbackServerContext* ctx, const pb::Empty*,
                                        pb::Empty*) override
    {
        echo_metadata(*ctx);
        auto* r = ctx->DefaultReactor();
        r->Finish(Status::OK);
        return r;
    }

    grpc::ServerUnaryReactor* UnaryCall(grpc::CallbackServerContext* ctx,
                                        const pb::SimpleRequest* req,
                                        pb::SimpleResponse* resp) override
    {
        auto* r = ctx->DefaultReactor();
        r->Finish(unary_call(*ctx, *req, *resp));
        return r;
    }

    grpc::ServerUnaryReactor* CacheableUnaryCall(grpc::CallbackServerContext* ctx,
                                                 const pb::SimpleRequest*,
                                                 pb::SimpleResponse* resp) override
    {
        auto* r = ctx->DefaultReactor();
        r->Finish(cacheable_unary_call(*ctx, *resp));
        return r;
    }

    write_reactor* StreamingOutputCall(grpc::CallbackServerContext* ctx,
                                       const pb::StreamingOutputCallRequest* req) override
    {
        return new streaming_output_reactor(ctx, *req);
    }

    grpc::ServerReadReactor<pb::StreamingInputCallRequest>*
    StreamingInputCall(grpc::CallbackServerContext* ctx,
                       pb::StreamingInputCallResponse* resp) override
    {
        return new streaming_input_reactor(ctx, resp);
    }

    bidi_reactor* FullDuplexCall(grpc::CallbackServerContext* ctx) override
    {
        return new full_duplex_reactor(ctx);
    }

    bidi_reactor* HalfDuplexCall(grpc::CallbackServerContext* ctx) override
    {
        return new half_duplex_reactor(ctx);
    }
};

// ---- command line ----

struct options
{
    std::string api = "sync";
    std::string listen = "127.0.0.1:0";
    bool tls = false;
    std::string cert, key, client_ca;
};

[[noreturn]] void usage(const std::string& msg)
{
    std::cerr
        << "grpcpp-interop-server: " << msg
        << "\nusage: grpcpp-interop-server [--api sync|callback] --listen unix:/path|HOST:PORT"
           " [--tls --cert FILE --key FILE [--client-ca FILE]]\n";
    std::exit(2);
}

options parse(int argc, char** argv)
{
    options o;
    try
    {
        for (rpcplugin::test::program_args args(argc, argv); args.next();)
        {
            if (args.is("--api"))
                o.api = args.value();
            else if (args.is("--listen"))
                o.listen = args.value();
            else if (args.is("--tls"))
                o.tls = true;
            else if (args.is("--cert"))
                o.cert = args.value();
            else if (args.is("--key"))
                o.key = args.value();
            else if (args.is("--client-ca"))
                o.client_ca = args.value();
            else
                usage("unknown argument " + std::string(args.flag()));
        }
    }
    catch (const std::logic_error& e) // a missing value
    {
        usage(e.what());
    }
    if (o.api != "sync" && o.api != "callback")
        usage("--api is sync or callback");
    if (!o.client_ca.empty())
        o.tls = true;
    if (o.tls && (o.cert.empty() || o.key.empty()))
        usage("--tls needs --cert and --key");
    return o;
}

std::shared_ptr<grpc::ServerCredentials> credentials(const options& o)
{
    if (!o.tls)
        return grpc::InsecureServerCredentials();
    grpc::SslServerCredentialsOptions ssl(
        o.client_ca.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                            : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
    ssl.pem_key_cert_pairs.push_back(
        {rpcplugin::test::read_file(o.key), rpcplugin::test::read_file(o.cert)});
    if (!o.client_ca.empty())
        ssl.pem_root_certs = rpcplugin::test::read_file(o.client_ca);
    return grpc::SslServerCredentials(ssl);
}

// The address to announce: the listen spec, with the chosen port for HOST:0.
std::string announced(const std::string& listen, int port)
{
    if (listen.rfind("unix:", 0) == 0)
        return listen;
    const auto colon = listen.rfind(':');
    return (colon == std::string::npos ? listen : listen.substr(0, colon)) + ":" +
           std::to_string(port);
}
} // namespace

int main(int argc, char** argv)
{
    const options o = parse(argc, argv);

    // SIGINT/SIGTERM are taken by sigwait below; block them before gRPC starts threads.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

    std::unique_ptr<grpc::Service> service;
    if (o.api == "sync")
        service = std::make_unique<sync_service>();
    else
        service = std::make_unique<callback_service>();

    std::unique_ptr<grpc::Server> server;
    int port = 0;
    try
    {
        grpc::ServerBuilder builder;
        builder.AddListeningPort(o.listen, credentials(o), &port);
        builder.RegisterService(service.get());
        server = builder.BuildAndStart();
    }
    catch (const std::exception& e)
    {
        std::cerr << "grpcpp-interop-server: " << e.what() << "\n";
        return 1;
    }
    if (!server || port == 0)
    {
        std::cerr << "grpcpp-interop-server: cannot listen on " << o.listen << "\n";
        return 1;
    }
    std::cout << "READY " << announced(o.listen, port) << std::endl;

    int sig = 0;
    sigwait(&stop_signals, &sig);
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    server->Wait();
    return 0;
}
