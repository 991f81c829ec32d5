// rpcplugin-interop-client: gRPC's interop test cases on rpcplugin's client channel.
//
//   rpcplugin-interop-client --target unix:PATH|HOST:PORT [--tls --ca FILE
//       [--server-name NAME] [--client-cert FILE --client-key FILE]] [--cases a,b,c]
//
// Prints "PASS name" / "FAIL name: reason" per case and "N passed, N failed". Every call
// goes through the stubs generated from grpc/testing/test.proto.
#include "grpc/testing/test.rpcplugin.pb.h"

#include "rpcplugin/grpc/channel.hpp"
#include "support/tls_files.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_future.hpp>

#include <array>
#include <chrono>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace
{
namespace asio = boost::asio;
namespace pb = ::grpc::testing;
using rpcplugin::grpc::call_options;
using rpcplugin::grpc::channel;
using rpcplugin::grpc::status;
using rpcplugin::grpc::status_code;
using rpcplugin::grpc::write_options;
using test_stub = pb::TestService::Stub;
using namespace std::chrono_literals;

struct failure : std::runtime_error
{
    using std::runtime_error::runtime_error;
};

void expect(bool cond, const std::string& what)
{
    if (!cond)
        throw failure(what);
}

void expect_ok(const status& s, const std::string& what)
{
    if (!s.ok())
    {
        std::ostringstream os;
        os << what << ": " << s;
        throw failure(os.str());
    }
}

void expect_code(const status& s, status_code c, const std::string& what)
{
    if (s.code() != c)
    {
        std::ostringstream os;
        os << what << ": expected " << rpcplugin::grpc::to_string(c) << ", got " << s;
        throw failure(os.str());
    }
}

call_options opts(std::chrono::nanoseconds timeout = 10s)
{
    call_options o;
    o.timeout = timeout;
    return o;
}

pb::SimpleRequest large_request()
{
    pb::SimpleRequest r;
    r.set_response_size(314159);
    r.mutable_payload()->mutable_body()->assign(271828, '\0');
    return r;
}

pb::StreamingOutputCallRequest stream_request(std::initializer_list<int> sizes, int payload = 0)
{
    pb::StreamingOutputCallRequest r;
    for (int s : sizes)
        r.add_response_parameters()->set_size(s);
    if (payload > 0)
        r.mutable_payload()->mutable_body()->assign(static_cast<std::size_t>(payload), '\0');
    return r;
}

using case_fn = std::function<asio::awaitable<void>(test_stub&)>;

asio::awaitable<void> large_unary(test_stub& stub)
{
    auto req = large_request();
    pb::SimpleResponse resp;
    auto o = opts();
    status s = co_await stub.UnaryCall(req, resp, o);
    expect_ok(s, "UnaryCall");
    expect(resp.payload().body().size() == 314159, "response payload size");
}

// Once a response was read: the call ends OK, with both echo metadata entries back.
// (References: the caller awaits this at once, and g++ 12 must see no class-type temporaries
// in the co_await expression.)
asio::awaitable<void> expect_echoed(rpcplugin::grpc::client_call& call, bool got, const char* what,
                                    const std::string& initial, const std::string& trailing)
{
    const auto* md = co_await call.initial_metadata();
    status s = co_await call.finish();
    expect_ok(s, what);
    expect(got, "a response");
    auto* i = rpcplugin::grpc::find(*md, "x-grpc-test-echo-initial");
    expect(i && *i == initial, "initial metadata echoed");
    auto* t = rpcplugin::grpc::find(call.trailing_metadata(), "x-grpc-test-echo-trailing-bin");
    expect(t && *t == trailing, "trailing metadata echoed");
}

std::map<std::string, case_fn> cases()
{
    std::map<std::string, case_fn> m;
    m["empty_unary"] = [](test_stub& stub) -> asio::awaitable<void>
    {
        pb::Empty req, resp;
        auto o = opts();
        status s = co_await stub.EmptyCall(req, resp, o);
        expect_ok(s, "EmptyCall");
    };
    m["large_unary"] = large_unary;
    m["client_compressed_unary"] = [](test_stub& stub) -> asio::awaitable<void>
    {
        auto req = large_request();
        req.mutable_expect_compressed()->set_value(true);
        pb::SimpleResponse resp;
        auto o = opts();
        // Probe: an uncompressed request that claims to be compressed must be refused.
        status probe = co_await stub.UnaryCall(req, resp, o);
        expect_code(probe, status_code::invalid_argument, "uncompressed probe");
        auto gzip = opts();
        gzip.compression = rpcplugin::grpc::encoding::gzip;
        status compressed = co_await stub.UnaryCall(req, resp, gzip);
        expect_ok(compressed, "compressed call");
        req.mutable_expect_compressed()->set_value(false);
        status plain = co_await stub.UnaryCall(req, resp, o);
        expect_ok(plain, "uncompressed call");
    };
    m["server_compressed_unary"] = [](test_stub& stub) -> asio::awaitable<void>
    {
        for (bool compressed : {true, false})
        {
            auto req = large_request();
            req.mutable_response_compressed()->set_value(compressed);
            auto o = opts();
            auto call = co_await stub.UnaryCall(req, o);
            pb::SimpleResponse resp;
            bool got = co_await call.read(resp);
            status s = co_await call.finish();
            expect_ok(s, "UnaryCall");
            expect(got && resp.payload().body().size() == 314159, "response payload");
            expect(call.call().last_message_compressed() == compressed, "compressed flag");
        }
    };
    m["client_streaming"] = [](test_stub& stub) -> asio::awaitable<void>
    {
        auto o = opts();
        auto call = stub.StreamingInputCall(o);
        for (int n : {27182, 8, 1828, 45904})
        {
            pb::StreamingInputCallRequest r;
            r.mutable_payload()->mutable_body()->assign(static_cast<std::size_t>(n), '\0');
            co_await call.write(r);
        }
        pb::StreamingInputCallResponse resp;
        status s = co_await call.finish(resp);
        expect_ok(s, "StreamingInputCall");
        expect(resp.aggregated_payload_size() == 74922, "aggregated size");
    };
    m["client_compressed_streaming"] = [](test_stub& stub) -> asio::awaitable<void>
    {
        auto o = opts();
        o.compression = rpcplugin::grpc::encoding::gzip;
        auto call = stub.StreamingInputCall(o);
        const write_options compress{.compress = true}, plain{.compress = false};
        pb::StreamingInputCallRequest r;
        r.mutable_expect_compressed()->set_value(true);
        r.mutable_payload()->mutable_body()->assign(27182, '\0');
        co_await call.write(r, compress);
        r.mutable_expect_compressed()->set_value(false);
        r.mutable_payload()->mutable_body()->assign(45904, '\0');
        co_await call.write(r, plain);
        pb::StreamingInputCallResponse resp;
        status s = co_await call.finish(resp);
        expect_ok(s, "StreamingInputCall");
        expect(resp.aggregated_payload_size() == 73086, "aggregated size");
    };
    m["server_streaming"] = [](test_stub& stub) -> asio::awaitable<void>
    {
        auto req = stream_request({31415, 9, 2653, 58979});
        auto o = opts();
        auto call = co_await stub.StreamingOutputCall(req, o);
        std::vector<std::size_t> sizes;
        pb::StreamingOutputCallResponse resp;
        while (co_await call.read(resp))
            sizes.push_back(resp.payload().body().size());
        status s = co_await call.finish();
        expect_ok(s, "StreamingOutputCall");
        expect(sizes == std::vector<std::size_t>{31415, 9, 2653, 58979}, "response sizes");
    };
    m["server_compressed_streaming"] = [](test_stub& stub) -> asio::awaitable<void>
    {
        auto req = stream_request({31415, 92653});
        req.mutable_response_parameters(0)->mutable_compressed()->set_value(true);
        req.mutable_response_parameters(1)->mutable_compressed()->set_value(false);
        auto o = opts();
        auto call = co_await stub.StreamingOutputCall(req, o);
        pb::StreamingOutputCallResponse resp;
        bool got1 = co_await call.read(resp);
        expect(got1 && call.call().last_message_compressed(), "first response compressed");
        bool got2 = co_await call.read(resp);
        expect(got2 && !call.call().last_message_compressed(), "second response not compressed");
        status s = co_await call.finish();
        expect_ok(s, "StreamingOutputCall");
    };
    m["ping_pong"] = [](test_stub& stub) -> asio::awaitable<void>
    {
        auto o = opts();
        auto call = stub.FullDuplexCall(o);
        const std::array<int, 4> req_sizes{27182, 8, 1828, 45904};
        const std::array<int, 4> resp_sizes{31415, 9, 2653, 58979};
        for (std::size_t i = 0; i < 4; ++i)
        {
            auto req = stream_request({resp_sizes[i]}, req_sizes[i]);
            co_await call.write(req);
            pb::StreamingOutputCallResponse resp;
            bool got = co_await call.read(resp);
            expect(got && resp.payload().body().size() == static_cast<std::size_t>(resp_sizes[i]),
                   "response " + std::to_string(i));
        }
        call.writes_done();
        pb::StreamingOutputCallResponse extra;
        bool more = co_await call.read(extra);
        expect(!more, "no extra response");
        status s = co_await call.finish();
        expect_ok(s, "FullDuplexCall");
    };
    m["empty_stream"] = [](test_stub& stub) -> asio::awaitable<void>
    {
        auto o = opts();
        auto call = stub.FullDuplexCall(o);
        call.writes_done();
        pb::StreamingOutputCallResponse resp;
        bool got = co_await call.read(resp);
        expect(!got, "no response");
        status s = co_await call.finish();
        expect_ok(s, "FullDuplexCall");
    };
    m["custom_metadata"] = [](test_stub& stub) -> asio::awaitable<void>
    {
        const std::string initial = "test_initial_metadata_value";
        const std::string trailing = "\xab\xab\xab";
        auto o = opts();
        o.metadata = {{"x-grpc-test-echo-initial", initial},
                      {"x-grpc-test-echo-trailing-bin", trailing}};

        auto req = large_request();
        auto unary = co_await stub.UnaryCall(req, o);
        pb::SimpleResponse resp;
        bool got = co_await unary.read(resp);
        co_await expect_echoed(unary.call(), got, "UnaryCall", initial, trailing);

        auto bidi = stub.FullDuplexCall(o);
        auto sreq = stream_request({314159}, 271828);
        co_await bidi.write(sreq);
        bidi.writes_done();
        pb::StreamingOutputCallResponse sresp;
        bool sgot = co_await bidi.read(sresp);
        co_await expect_echoed(bidi.call(), sgot, "FullDuplexCall", initial, trailing);
    };
    auto status_case = [](std::string text) -> case_fn
    {
        return [text](test_stub& stub) -> asio::awaitable<void>
        {
            pb::SimpleRequest req;
            req.mutable_response_status()->set_code(2);
            req.mutable_response_status()->set_message(text);
            pb::SimpleResponse resp;
            auto o = opts();
            status s = co_await stub.UnaryCall(req, resp, o);
            expect_code(s, status_code::unknown, "UnaryCall");
            expect(s.message() == text, "status message");
            auto call = stub.FullDuplexCall(o);
            pb::StreamingOutputCallRequest sreq;
            sreq.mutable_response_status()->set_code(2);
            sreq.mutable_response_status()->set_message(text);
            co_await call.write(sreq);
            call.writes_done();
            status bs = co_await call.finish();
            expect_code(bs, status_code::unknown, "FullDuplexCall");
            expect(bs.message() == text, "bidi status message");
        };
    };
    m["status_code_and_message"] = status_case("test status message");
    m["special_status_message"] = status_case(
        "\t\ntest with whitespace\r\nand Unicode BMP \u263A and non-BMP \U0001F608\t\n");
    m["unimplemented_method"] = [](test_stub& stub) -> asio::awaitable<void>
    {
        pb::Empty req, resp;
        auto o = opts();
        status s = co_await stub.UnimplementedCall(req, resp, o);
        expect_code(s, status_code::unimplemented, "UnimplementedCall");
    };
    m["unimplemented_service"] = [](test_stub& stub) -> asio::awaitable<void>
    {
        pb::UnimplementedService::Stub other(stub.channel());
        pb::Empty req, resp;
        auto o = opts();
        status s = co_await other.UnimplementedCall(req, resp, o);
        expect_code(s, status_code::unimplemented, "UnimplementedService");
    };
    m["cancel_after_begin"] = [](test_stub& stub) -> asio::awaitable<void>
    {
        auto o = opts();
        auto call = stub.StreamingInputCall(o);
        asio::steady_timer t(stub.channel()->get_executor(), 50ms);
        co_await t.async_wait(asio::use_awaitable);
        call.call().cancel();
        pb::StreamingInputCallResponse resp;
        status s = co_await call.finish(resp);
        expect_code(s, status_code::cancelled, "StreamingInputCall");
    };
    m["cancel_after_first_response"] = [](test_stub& stub) -> asio::awaitable<void>
    {
        auto o = opts();
        auto call = stub.FullDuplexCall(o);
        auto req = stream_request({31415}, 27182);
        co_await call.write(req);
        pb::StreamingOutputCallResponse resp;
        bool got = co_await call.read(resp);
        expect(got, "first response");
        call.call().cancel();
        status s = co_await call.finish();
        expect_code(s, status_code::cancelled, "FullDuplexCall");
    };
    m["timeout_on_sleeping_server"] = [](test_stub& stub) -> asio::awaitable<void>
    {
        auto o = opts(1ms);
        auto call = stub.FullDuplexCall(o);
        auto req = stream_request({}, 27182);
        co_await call.write(req);
        status s = co_await call.finish();
        expect_code(s, status_code::deadline_exceeded, "FullDuplexCall");
    };
    m["concurrent_large_unary"] = [](test_stub& stub) -> asio::awaitable<void>
    {
        auto ex = stub.channel()->get_executor();
        int done = 0, failed = 0;
        asio::steady_timer all(ex, std::chrono::steady_clock::time_point::max());
        for (int i = 0; i < 100; ++i)
            asio::co_spawn(ex, large_unary(stub),
                           [&](std::exception_ptr e)
                           {
                               failed += e ? 1 : 0;
                               if (++done == 100)
                                   all.cancel();
                           });
        auto [ec] = co_await all.async_wait(rpcplugin::use_tuple);
        (void)ec;
        expect(failed == 0, std::to_string(failed) + " of 100 calls failed");
    };
    return m;
}

} // namespace

int main(int argc, char** argv)
{
    std::string target, ca, server_name, cert, key, only;
    bool tls = false;
    auto usage = []
    {
        std::cerr << "usage: rpcplugin-interop-client --target T [--tls --ca F "
                     "[--server-name N] [--client-cert F --client-key F]] [--cases a,b]\n";
        return 2;
    };
    try
    {
        for (rpcplugin::test::program_args args(argc, argv); args.next();)
        {
            if (args.is("--target"))
                target = args.value();
            else if (args.is("--tls"))
                tls = true;
            else if (args.is("--ca"))
                ca = args.value();
            else if (args.is("--server-name"))
                server_name = args.value();
            else if (args.is("--client-cert"))
                cert = args.value();
            else if (args.is("--client-key"))
                key = args.value();
            else if (args.is("--cases"))
                only = args.value();
            else
                return usage();
        }
    }
    catch (const std::logic_error& e) // a missing value
    {
        std::cerr << "error: " << e.what() << "\n";
        return usage();
    }
    auto all = cases();
    std::vector<std::string> selected;
    if (only.empty())
        for (auto& [name, fn] : all)
            selected.push_back(name);
    else
    {
        std::stringstream ss(only);
        for (std::string n; std::getline(ss, n, ',');)
            selected.push_back(n);
    }

    rpcplugin::grpc::channel_options o;
    o.log.set_level(rpcplugin::log_level::warn);
    try
    {
        if (tls)
            o.tls = rpcplugin::test::client_tls_files(ca, server_name, cert, key);
    }
    catch (const std::exception& e)
    {
        std::cerr << "error: " << e.what() << "\n";
        return 2;
    }

    asio::io_context io;
    int passed = 0, failed = 0;
    auto run_all = [&]() -> asio::awaitable<void>
    {
        auto ch = co_await channel::connect(io.get_executor(), target, o);
        if (!ch)
        {
            for (auto& n : selected)
                std::cout << "FAIL " << n << ": connect: " << ch.error().message() << "\n";
            failed = static_cast<int>(selected.size());
            co_return;
        }
        // Cases run on the channel's strand, one after another.
        test_stub stub(*ch);
        for (auto& n : selected)
        {
            auto it = all.find(n);
            std::string err;
            if (it == all.end())
                err = "unknown case";
            else
            {
                try
                {
                    co_await asio::co_spawn((*ch)->get_executor(), it->second(stub),
                                            asio::use_awaitable);
                }
                catch (const std::exception& e)
                {
                    err = e.what();
                }
            }
            if (err.empty())
            {
                ++passed;
                std::cout << "PASS " << n << std::endl;
            }
            else
            {
                ++failed;
                std::cout << "FAIL " << n << ": " << err << std::endl;
            }
        }
        (*ch)->close();
    };
    asio::co_spawn(io, run_all(),
                   [](std::exception_ptr e)
                   {
                       if (e)
                           std::rethrow_exception(e);
                   });
    io.run();
    std::cout << passed << " passed, " << failed << " failed" << std::endl;
    return failed == 0 ? 0 : 1;
}
