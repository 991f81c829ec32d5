// raw-echo-server: the physical-limit baseline. Plain blocking sockets, one thread per
// connection, no HTTP/2 and no gRPC: ping-pong echoes length-prefixed messages, bulk
// writes them without pause (bench/src/raw_protocol.hpp has the wire format).
//
//   raw-echo-server --listen unix:PATH|HOST:PORT
//
// Prints "READY <address>" once listening; SIGTERM or SIGINT stops it.
#include "raw_protocol.hpp"
#include "socket_io.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include <pthread.h>

#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <string>
#include <thread>
#include <vector>

namespace
{
using namespace bench;

std::string socket_path;

void serve_pingpong(int fd, std::uint32_t size)
{
    std::vector<unsigned char> buf(4 + std::size_t{size});
    for (;;)
    {
        if (!read_all(fd, buf.data(), 4))
            return;
        std::uint32_t len = raw::get_u32(buf.data());
        if (len > raw::max_size)
            return;
        if (len + 4u > buf.size())
            buf.resize(4 + std::size_t{len});
        if (!read_all(fd, buf.data() + 4, len) || !write_all(fd, buf.data(), 4 + std::size_t{len}))
            return;
    }
}

void serve_bulk(int fd, std::uint32_t size)
{
    std::vector<unsigned char> msg(4 + std::size_t{size}, 'x');
    raw::put_u32(msg.data(), size);
    while (write_all(fd, msg.data(), msg.size()))
    {
    }
}

void serve(int fd)
{
    unsigned char hello[raw::hello_size];
    if (read_all(fd, hello, sizeof hello) && std::memcmp(hello, "RPB", 3) == 0)
    {
        std::uint32_t size = raw::get_u32(hello + 4);
        if (size <= raw::max_size)
        {
            if (hello[3] == raw::mode_pingpong)
                serve_pingpong(fd, size);
            else if (hello[3] == raw::mode_bulk)
                serve_bulk(fd, size);
        }
    }
    ::close(fd);
}

int listen_on(const std::string& spec, std::string& address)
{
    if (spec.rfind("unix:", 0) == 0)
    {
        socket_path = spec.substr(5);
        sockaddr_un sa{};
        sa.sun_family = AF_UNIX;
        if (socket_path.empty() || socket_path.size() >= sizeof sa.sun_path)
            return -1;
        std::memcpy(sa.sun_path, socket_path.c_str(), socket_path.size() + 1);
        ::unlink(socket_path.c_str());
        int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
            ::listen(fd, 128) != 0)
            return -1;
        address = spec;
        return fd;
    }
    auto colon = spec.rfind(':');
    if (colon == std::string::npos)
        return -1;
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<std::uint16_t>(std::stoi(spec.substr(colon + 1))));
    if (::inet_pton(AF_INET, spec.substr(0, colon).c_str(), &sa.sin_addr) != 1)
        return -1;
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&sa), sizeof sa) != 0 ||
        ::listen(fd, 128) != 0)
        return -1;
    socklen_t len = sizeof sa;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&sa), &len);
    address = spec.substr(0, colon) + ":" + std::to_string(ntohs(sa.sin_port));
    return fd;
}
} // namespace

int main(int argc, char** argv)
{
    if (argc != 3 || std::string(argv[1]) != "--listen")
    {
        std::cerr << "usage: raw-echo-server --listen unix:PATH|HOST:PORT\n";
        return 2;
    }
    // SIGINT/SIGTERM are taken by a thread that removes the socket file and exits.
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, nullptr);
    std::signal(SIGPIPE, SIG_IGN);
    std::string address;
    int lfd = listen_on(argv[2], address);
    if (lfd < 0)
    {
        std::cerr << "raw-echo-server: cannot listen on " << argv[2] << ": " << std::strerror(errno)
                  << "\n";
        return 1;
    }
    std::thread(
        [sigs]
        {
            int sig = 0;
            sigwait(&sigs, &sig);
            if (!socket_path.empty())
                ::unlink(socket_path.c_str());
            std::_Exit(0);
        })
        .detach();
    std::cout << "READY " << address << std::endl;
    for (;;)
    {
        int fd = ::accept4(lfd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd < 0)
        {
            if (errno == EINTR || errno == ECONNABORTED || errno == EMFILE || errno == ENFILE)
                continue;
            return 1;
        }
        int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one,
                     sizeof one); // fails harmlessly on Unix sockets
        std::thread(serve, fd).detach();
    }
}
