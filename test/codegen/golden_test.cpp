// The code generated for the golden protos (test/golden/proto/golden/), built with every
// project warning: services implemented and registered, stubs type-checked against the
// client API (without a connection; test/codegen/e2e_test.cpp makes real calls).

#include "golden/common.rpcplugin.pb.h"
#include "golden/every_kind.rpcplugin.pb.h"
#include "golden/keywords.rpcplugin.pb.h"
#include "golden/no_package.rpcplugin.pb.h"

#include <rpcplugin/grpc/server.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <string_view>
#include <type_traits>

namespace asio = boost::asio;
namespace grpc = rpcplugin::grpc;
namespace abc = a::b::c;
namespace kwns = kw::rpcplugin::google::ns;

namespace
{
using status_task = asio::awaitable<grpc::status>;

// --- traits ------------------------------------------------------------------------------

static_assert(abc::EveryKind::service_name == "a.b.c.EveryKind");
static_assert(abc::EveryKind::Unary::path == "/a.b.c.EveryKind/Unary");
static_assert(std::is_same_v<abc::EveryKind::Unary::request, abc::Request>);
static_assert(std::is_same_v<abc::EveryKind::Unary::response, abc::Reply>);
static_assert(abc::EveryKind::Unary::kind == grpc::rpc_kind::unary);
static_assert(std::is_same_v<abc::EveryKind::ClientStream::request, golden::common::Payload>);
static_assert(std::is_same_v<abc::EveryKind::ClientStream::response, google::protobuf::Empty>);
static_assert(abc::EveryKind::ClientStream::kind == grpc::rpc_kind::client_streaming);
static_assert(std::is_same_v<abc::EveryKind::ServerStream::request, google::protobuf::Timestamp>);
static_assert(std::is_same_v<abc::EveryKind::ServerStream::response, abc::Reply_Part>);
static_assert(abc::EveryKind::ServerStream::kind == grpc::rpc_kind::server_streaming);
static_assert(abc::EveryKind::Bidi::kind == grpc::rpc_kind::bidi_streaming);
static_assert(abc::Echo::Echo::path == "/a.b.c.Echo/Echo");
static_assert(abc::Nothing::service_name == "a.b.c.Nothing");
static_assert(Bare::Ping::path == "/Bare/Ping");
// Keywords get protoc's trailing underscore in C++; the wire names are unchanged.
static_assert(kwns::switch_::new_::path == "/kw.rpcplugin.google.ns.switch/new");
static_assert(std::is_same_v<kwns::switch_::new_::request, kwns::delete_>);
static_assert(kwns::switch_::co_await_::kind == grpc::rpc_kind::bidi_streaming);
static_assert(kwns::switch_::template_::kind == grpc::rpc_kind::server_streaming);
static_assert(kwns::switch_::Service_::kind == grpc::rpc_kind::client_streaming);

// --- services ----------------------------------------------------------------------------

class every_kind_service final : public abc::EveryKind::Service
{
public:
    status_task Unary(grpc::server_context&, const abc::Request& request,
                      abc::Reply& response) override
    {
        response.add_parts()->set_text(request.has_limit() ? "limited" : request.text());
        co_return grpc::status();
    }

    status_task ClientStream(grpc::server_context&,
                             grpc::server_reader<golden::common::Payload>& reader,
                             google::protobuf::Empty&) override
    {
        golden::common::Payload payload;
        for (;;)
        {
            bool more = co_await reader.read(payload);
            if (!more)
                break;
        }
        co_return grpc::status();
    }

    status_task ServerStream(grpc::server_context&, const google::protobuf::Timestamp& request,
                             grpc::server_writer<abc::Reply_Part>& writer) override
    {
        abc::Reply_Part part;
        part.set_text(std::to_string(request.seconds()));
        co_await writer.write(part);
        co_return grpc::status();
    }

    status_task Bidi(grpc::server_context&,
                     grpc::server_stream<abc::Request, golden::common::Payload>& stream) override
    {
        abc::Request request;
        for (;;)
        {
            bool more = co_await stream.read(request);
            if (!more)
                break;
            golden::common::Payload payload;
            payload.set_body(request.text());
            bool written = co_await stream.write(payload);
            if (!written)
                break;
        }
        co_return grpc::status();
    }
};

class echo_service final : public abc::Echo::Service
{
public:
    status_task Echo(grpc::server_context&, const abc::Request& request,
                     abc::Request& response) override
    {
        response = request;
        co_return grpc::status();
    }
};

class nothing_service final : public abc::Nothing::Service
{
};

class bare_service final : public Bare::Service
{
public:
    status_task Ping(grpc::server_context&, const google::protobuf::Empty&,
                     google::protobuf::Empty&) override
    {
        co_return grpc::status();
    }
};

class keyword_service final : public kwns::switch_::Service
{
public:
    status_task new_(grpc::server_context&, const kwns::delete_& request,
                     kwns::Operator& response) override
    {
        *response.mutable_new_() = request;
        co_return grpc::status();
    }

    status_task co_await_(grpc::server_context&,
                          grpc::server_stream<kwns::delete_, kwns::Operator>&) override
    {
        co_return grpc::status(grpc::status_code::unimplemented);
    }

    status_task template_(grpc::server_context&, const kwns::Operator& request,
                          grpc::server_writer<kwns::delete_>& writer) override
    {
        co_await writer.write(request.new_());
        co_return grpc::status();
    }

    status_task Service_(grpc::server_context&, grpc::server_reader<kwns::Operator>&,
                         kwns::delete_& response) override
    {
        response.set_class_("class");
        response.set_namespace_(1);
        co_return grpc::status();
    }
};

void check_method(const grpc::server& server, std::string_view path, grpc::rpc_kind kind)
{
    CAPTURE(path);
    const grpc::method_entry* m = server.find(path);
    REQUIRE(m != nullptr);
    CHECK(m->kind == kind);
    CHECK(static_cast<bool>(m->handler));
}

// --- stubs -------------------------------------------------------------------------------

// Uses every stub member the way a caller does. Only type-checked: the coroutine is created
// and destroyed without running.
asio::awaitable<void> call_every_kind(abc::EveryKind::Stub& stub)
{
    abc::Request request;
    request.set_limit(3);
    abc::Reply reply;
    grpc::status s = co_await stub.Unary(request, reply);

    grpc::call_options options;
    options.timeout = std::chrono::seconds(5);
    options.metadata.push_back({"x-test", "1"});
    grpc::client_reader<abc::Reply> open_unary = co_await stub.Unary(request, options);
    bool ok = co_await open_unary.read(reply);
    s = co_await open_unary.finish();

    grpc::client_writer<golden::common::Payload, google::protobuf::Empty> writer =
        stub.ClientStream(options);
    ok = co_await writer.write(golden::common::Payload());
    google::protobuf::Empty empty;
    s = co_await writer.finish(empty);

    grpc::client_reader<abc::Reply_Part> reader =
        co_await stub.ServerStream(google::protobuf::Timestamp());
    abc::Reply_Part part;
    ok = co_await reader.read(part);
    s = co_await reader.finish();

    grpc::client_stream<abc::Request, golden::common::Payload> stream = stub.Bidi();
    ok = co_await stream.write(request);
    stream.writes_done();
    golden::common::Payload payload;
    ok = co_await stream.read(payload);
    s = co_await stream.finish();
    (void)ok;
}

asio::awaitable<void> call_keywords(kwns::switch_::Stub& stub)
{
    kwns::delete_ d;
    kwns::Operator op;
    grpc::status s = co_await stub.new_(d, op);
    auto stream = stub.co_await_();
    s = co_await stream.finish();
    auto reader = co_await stub.template_(op);
    s = co_await reader.finish();
    auto writer = stub.Service_();
    s = co_await writer.finish(d);
}
} // namespace

TEST_SUITE("codegen")
{
    TEST_CASE("register_service binds every method of a generated service with its kind")
    {
        every_kind_service every_kind;
        echo_service echo;
        nothing_service nothing;
        bare_service bare;
        keyword_service keywords;

        grpc::server server;
        abc::EveryKind::register_service(server, every_kind);
        abc::Echo::register_service(server, echo);
        abc::Nothing::register_service(server, nothing);
        Bare::register_service(server, bare);
        kwns::switch_::register_service(server, keywords);

        check_method(server, "/a.b.c.EveryKind/Unary", grpc::rpc_kind::unary);
        check_method(server, "/a.b.c.EveryKind/ClientStream", grpc::rpc_kind::client_streaming);
        check_method(server, "/a.b.c.EveryKind/ServerStream", grpc::rpc_kind::server_streaming);
        check_method(server, "/a.b.c.EveryKind/Bidi", grpc::rpc_kind::bidi_streaming);
        check_method(server, "/a.b.c.Echo/Echo", grpc::rpc_kind::unary);
        check_method(server, "/Bare/Ping", grpc::rpc_kind::unary);
        check_method(server, "/kw.rpcplugin.google.ns.switch/new", grpc::rpc_kind::unary);
        check_method(server, "/kw.rpcplugin.google.ns.switch/co_await",
                     grpc::rpc_kind::bidi_streaming);
        check_method(server, "/kw.rpcplugin.google.ns.switch/template",
                     grpc::rpc_kind::server_streaming);
        check_method(server, "/kw.rpcplugin.google.ns.switch/Service_",
                     grpc::rpc_kind::client_streaming);
        CHECK(server.has_service(abc::EveryKind::service_name));
        CHECK_FALSE(server.has_service(abc::Nothing::service_name));
        CHECK(server.find("/a.b.c.EveryKind/Missing") == nullptr);
    }

    TEST_CASE("generated stubs type-check against the client API")
    {
        abc::EveryKind::Stub every_kind(nullptr);
        kwns::switch_::Stub keywords(nullptr);
        CHECK(every_kind.channel() == nullptr);
        // Created, never started: nothing touches the null channel.
        asio::awaitable<void> a = call_every_kind(every_kind);
        asio::awaitable<void> b = call_keywords(keywords);
        CHECK(a.valid());
        CHECK(b.valid());
    }
}
