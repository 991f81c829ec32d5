// rpcplugin-bench-server: rpcplugin.bench.Echo on rpcplugin, one thread.
//
//   rpcplugin-bench-server --listen unix:PATH|HOST:PORT [--tls --cert FILE --key FILE]
//
// Prints "READY <address>" once it accepts connections; SIGTERM or SIGINT stops it.
#include "echo_service.hpp"

#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <string_view>

namespace
{
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
    std::cerr << "usage: rpcplugin-bench-server --listen unix:PATH|HOST:PORT "
                 "[--tls --cert FILE --key FILE]\n";
    return 2;
}
} // namespace

int main(int argc, char** argv)
{
    std::string listen, cert, key;
    bool tls = false;
    for (int i = 1; i < argc; ++i)
    {
        std::string_view a = argv[i];
        auto value = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
        if (a == "--listen")
            listen = value();
        else if (a == "--tls")
            tls = true;
        else if (a == "--cert")
            cert = value();
        else if (a == "--key")
            key = value();
        else
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
        {
            server_tls.emplace();
            server_tls->certificate_chain_pem = read_file(cert);
            server_tls->private_key_pem = read_file(key);
        }
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
