// rpcplugin-interop-server: grpc.testing.TestService on rpcplugin, for interop clients.
//
//   rpcplugin-interop-server --listen unix:/path | HOST:PORT
//                            [--tls --cert FILE --key FILE [--client-ca FILE]]
//                            [--preface-timeout-ms N] [--log-level debug] [--threads N]
//
// --threads N runs the io_context on N threads (default: $RPCPLUGIN_INTEROP_THREADS, else
// 1); the sanitizer runs use it to put the server's strands and drain under ThreadSanitizer.
//
// Prints "READY <endpoint>" on stdout once it accepts connections; SIGTERM/SIGINT drain
// it (no grace) and it exits 0.
#include "test_service.hpp"

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
#include <cstdlib>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
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

std::string read_file(const std::string& path)
{
    std::ifstream in(path, std::ios::binary);
    if (!in)
        throw std::runtime_error("cannot read " + path);
    std::ostringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

int usage()
{
    std::cerr << "usage: rpcplugin-interop-server --listen unix:PATH|HOST:PORT "
                 "[--tls --cert FILE --key FILE [--client-ca FILE]] [--log-level LEVEL] "
                 "[--preface-timeout-ms N] [--threads N]\n";
    return 2;
}
} // namespace

int main(int argc, char** argv)
{
    std::string listen, cert, key, client_ca;
    bool use_tls = false;
    int preface_ms = 0;
    const char* threads_env = std::getenv("RPCPLUGIN_INTEROP_THREADS");
    int threads = threads_env ? std::atoi(threads_env) : 1;
    rpcplugin::log_level level = rpcplugin::log_level::info;
    for (int i = 1; i < argc; ++i)
    {
        std::string_view a = argv[i];
        auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
        if (a == "--listen")
            listen = value();
        else if (a == "--tls")
            use_tls = true;
        else if (a == "--cert")
            cert = value();
        else if (a == "--key")
            key = value();
        else if (a == "--client-ca")
            client_ca = value();
        else if (a == "--preface-timeout-ms")
            preface_ms = std::stoi(value());
        else if (a == "--threads")
            threads = std::stoi(value());
        else if (a == "--log-level")
            level = value() == "debug" ? rpcplugin::log_level::debug : rpcplugin::log_level::info;
        else
            return usage();
    }
    if (listen.empty() || (use_tls && (cert.empty() || key.empty())) || threads < 1)
        return usage();

    try
    {
        asio::io_context io(threads);
        rpcplugin::grpc::server srv;
        srv.options().log.set_level(level);
        if (preface_ms > 0)
            srv.options().http2.preface_timeout = std::chrono::milliseconds(preface_ms);
        rpcplugin::interop::add_test_service(srv);

        std::shared_ptr<asio::ssl::context> tls;
        if (use_tls)
        {
            rpcplugin::tls::server_config cfg;
            cfg.certificate_chain_pem = read_file(cert);
            cfg.private_key_pem = read_file(key);
            if (!client_ca.empty())
                cfg.client_roots_pem = read_file(client_ca);
            auto ctx = rpcplugin::tls::make_server_context(cfg);
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
            std::cerr << "error: cannot listen on " << listen << ": " << l.error().message() << "\n";
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
