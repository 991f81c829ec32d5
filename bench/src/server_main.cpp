// rpcplugin-bench-server: rpcplugin.bench.Echo on rpcplugin, one thread.
//
//   rpcplugin-bench-server --listen unix:PATH|HOST:PORT [--tls --cert FILE --key FILE]
//
// Prints "READY <address>" once it accepts connections; SIGTERM or SIGINT stops it.
#include "echo_service.hpp"
#include "support/tls_files.hpp"

#include <iostream>
#include <stdexcept>
#include <string>

namespace
{
int usage()
{
    std::cerr << "usage: rpcplugin-bench-server --listen unix:PATH|HOST:PORT "
                 "[--tls --cert FILE --key FILE]\n";
    return 2;
}
} // namespace

int main(int argc, char** argv)
{
    std::string listen, cert, key;
    bool tls = false;
    try
    {
        for (rpcplugin::test::program_args args(argc, argv); args.next();)
        {
            if (args.is("--listen"))
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
    if (listen.empty() || (tls && (cert.empty() || key.empty())))
        return usage();
    try
    {
        auto ep = rpcplugin::transport::parse_endpoint(listen);
        if (!ep)
        {
            std::cerr << "error: bad --listen " << listen << "\n";
            return 2;
        }
        std::optional<rpcplugin::tls::server_config> server_tls;
        if (tls)
            server_tls = rpcplugin::test::server_tls_files(cert, key);
        bench::echo_server server(*ep, server_tls);
        std::cout << "READY " << server.address() << std::endl;
        server.run(true);
        return 0;
    }
    catch (const std::exception& e)
    {
        std::cerr << "error: " << e.what() << "\n";
        return 1;
    }
}
