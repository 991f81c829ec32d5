// rpcplugin-interop-server: grpc.testing.TestService on rpcplugin, for interop clients.
//
//   rpcplugin-interop-server --listen unix:/path | HOST:PORT
//                            [--tls --cert FILE --key FILE [--client-ca FILE]]
//                            [--log-level debug] [--threads N] [HTTP/2 limits, see usage()]
//
// The HTTP/2 limit flags set the fields of `http2::settings` of the same name (durations
// in milliseconds), so that tests can use short timeouts and small limits.
//
// --threads N runs the io_context on N threads (default: $RPCPLUGIN_INTEROP_THREADS, else
// 1); the sanitizer runs use it to put the server's strands and drain under ThreadSanitizer.
//
// Prints "READY <endpoint>" on stdout once it accepts connections; SIGTERM/SIGINT drain
// it (no grace) and it exits 0.
#include "test_service.hpp"
#include "support/tls_files.hpp"

#include "rpcplugin/grpc/server.hpp"
#include "rpcplugin/tls/context.hpp"
#include "rpcplugin/transport/listener.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>

#include <csignal>
#include <cstdint>
#include <cstdlib>
#include <cstdio>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace
{
namespace asio = boost::asio;

asio::awaitable<void> shut_down(asio::io_context& io, rpcplugin::grpc::server& srv,
                                const std::atomic<bool>& serving)
{
    co_await srv.drain(std::chrono::milliseconds(0));
    asio::steady_timer t(io);
    for (int i = 0; i < 100 && serving; ++i)
    {
        t.expires_after(std::chrono::milliseconds(10));
        co_await t.async_wait(asio::use_awaitable);
    }
    io.stop();
}

int usage()
{
    std::cerr
        << "usage: rpcplugin-interop-server --listen unix:PATH|HOST:PORT\n"
           "         [--tls --cert FILE --key FILE [--client-ca FILE]] [--log-level LEVEL] "
           "[--threads N]\n"
           "HTTP/2 limits (rpcplugin::http2::settings; durations in ms, 0 = off):\n"
           "  --preface-timeout-ms N          TLS handshake + preface + first SETTINGS\n"
           "  --max-pending-handshakes N      connections in their handshake (server_options)\n"
           "  --max-concurrent-streams N      streams and running handlers per connection\n"
           "  --max-outbound-frames N         queued frames before reading pauses\n"
           "  --max-request-buffer BYTES      request bytes buffered per connection\n"
           "  --glitch-burst N --glitch-rate N  suspicious-frame budget\n"
           "  --min-ping-interval-ms N --max-ping-strikes N --permit-ping-without-calls\n"
           "  --write-stall-timeout-ms N      no write progress / zero window\n"
           "  --idle-timeout-ms N             GOAWAY after no streams for N\n"
           "  --max-connection-age-ms N --max-connection-age-grace-ms N\n"
           "  --keepalive-time-ms N --keepalive-timeout-ms N\n";
    return 2;
}

// Parses a non-negative integer flag value; false if it is not one.
bool parse_count(const std::string& text, std::uint64_t& out)
{
    if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos ||
        text.size() > 18)
        return false;
    out = std::stoull(text);
    return true;
}
} // namespace

int main(int argc, char** argv)
{
    std::string listen, cert, key, client_ca;
    bool use_tls = false;
    const char* threads_env = std::getenv("RPCPLUGIN_INTEROP_THREADS");
    int threads = threads_env ? std::atoi(threads_env) : 1;
    rpcplugin::log_level level = rpcplugin::log_level::info;
    rpcplugin::http2::settings h2;
    std::uint64_t max_pending_handshakes =
        rpcplugin::grpc::server_options{}.admission.max_pending_handshakes;
    using ms = std::chrono::milliseconds;
    // Flags that set one numeric field of http2::settings.
    const std::map<std::string_view, std::function<void(std::uint64_t)>> limits = {
        {"--preface-timeout-ms", [&](std::uint64_t v) { h2.preface_timeout = ms(v); }},
        {"--max-pending-handshakes", [&](std::uint64_t v) { max_pending_handshakes = v; }},
        {"--max-concurrent-streams",
         [&](std::uint64_t v) { h2.max_concurrent_streams = static_cast<std::uint32_t>(v); }},
        {"--max-outbound-frames", [&](std::uint64_t v) { h2.max_outbound_frames = v; }},
        {"--max-request-buffer", [&](std::uint64_t v) { h2.max_request_buffer = v; }},
        {"--glitch-burst",
         [&](std::uint64_t v) { h2.glitch_burst = static_cast<std::uint32_t>(v); }},
        {"--glitch-rate", [&](std::uint64_t v) { h2.glitch_rate = static_cast<std::uint32_t>(v); }},
        {"--min-ping-interval-ms", [&](std::uint64_t v) { h2.min_ping_interval = ms(v); }},
        {"--max-ping-strikes",
         [&](std::uint64_t v) { h2.max_ping_strikes = static_cast<std::uint32_t>(v); }},
        {"--write-stall-timeout-ms", [&](std::uint64_t v) { h2.write_stall_timeout = ms(v); }},
        {"--idle-timeout-ms", [&](std::uint64_t v) { h2.idle_timeout = ms(v); }},
        {"--max-connection-age-ms", [&](std::uint64_t v) { h2.max_connection_age = ms(v); }},
        {"--max-connection-age-grace-ms",
         [&](std::uint64_t v) { h2.max_connection_age_grace = ms(v); }},
        {"--keepalive-time-ms", [&](std::uint64_t v) { h2.keepalive_time = ms(v); }},
        {"--keepalive-timeout-ms", [&](std::uint64_t v) { h2.keepalive_timeout = ms(v); }},
    };
    try
    {
        for (rpcplugin::test::program_args args(argc, argv); args.next();)
        {
            std::string_view a = args.flag();
            if (auto it = limits.find(a); it != limits.end())
            {
                std::uint64_t v = 0;
                if (!parse_count(args.value(), v))
                {
                    std::cerr << "error: " << a << " needs a non-negative integer\n";
                    return usage();
                }
                it->second(v);
            }
            else if (a == "--permit-ping-without-calls")
                h2.permit_ping_without_calls = true;
            else if (a == "--listen")
                listen = args.value();
            else if (a == "--tls")
                use_tls = true;
            else if (a == "--cert")
                cert = args.value();
            else if (a == "--key")
                key = args.value();
            else if (a == "--client-ca")
                client_ca = args.value();
            else if (a == "--threads")
                threads = std::stoi(args.value());
            else if (a == "--log-level")
                level = args.value() == "debug" ? rpcplugin::log_level::debug
                                                : rpcplugin::log_level::info;
            else
                return usage();
        }
    }
    catch (const std::logic_error& e) // a missing value, a bad number
    {
        std::cerr << "error: " << e.what() << "\n";
        return usage();
    }
    if (listen.empty() || (use_tls && (cert.empty() || key.empty())) || threads < 1)
        return usage();

    try
    {
        asio::io_context io(threads);
        rpcplugin::interop::test_service service; // outlives srv
        rpcplugin::grpc::server srv;
        srv.options().log.set_level(level);
        srv.options().http2 = h2;
        srv.options().admission.max_pending_handshakes =
            static_cast<std::size_t>(max_pending_handshakes);
        ::grpc::testing::TestService::register_service(srv, service);

        std::shared_ptr<asio::ssl::context> tls;
        if (use_tls)
        {
            auto ctx = rpcplugin::tls::make_server_context(
                rpcplugin::test::server_tls_files(cert, key, client_ca));
            if (!ctx)
            {
                std::cerr << "error: TLS setup failed: " << ctx.error().message() << "\n";
                return 1;
            }
            tls = *ctx;
        }

        auto ep = rpcplugin::transport::parse_endpoint(listen);
        if (!ep)
        {
            std::cerr << "error: bad --listen " << listen << ": " << ep.error().message() << "\n";
            return 1;
        }
        auto l = rpcplugin::transport::listener::bind(io.get_executor(), *ep);
        if (!l)
        {
            std::cerr << "error: cannot listen on " << listen << ": " << l.error().message()
                      << "\n";
            return 1;
        }
        // SIGTERM/SIGINT: drain with no grace, so that the coroutines serving through `srv`
        // and `*l` end before those are destroyed (the server must outlive them), then stop
        // what is left (connections still in protocol detection hold no server state).
        std::atomic<bool> serving{true};
        asio::signal_set signals(io, SIGINT, SIGTERM);
        signals.async_wait(
            [&](boost::system::error_code ec, int)
            {
                if (!ec)
                    asio::co_spawn(io, shut_down(io, srv, serving), asio::detached);
            });
        asio::co_spawn(io, srv.serve(*l, tls), [&](std::exception_ptr) { serving = false; });
        std::cout << "READY " << l->local_endpoint().to_string() << std::endl;
        std::vector<std::thread> pool;
        for (int i = 1; i < threads; ++i)
            pool.emplace_back([&io] { io.run(); });
        io.run();
        for (auto& t : pool)
            t.join();
        return 0;
    }
    catch (const std::exception& e)
    {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
