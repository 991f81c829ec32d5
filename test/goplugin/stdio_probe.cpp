// rpcplugin-stdio-probe: a plugin for the process tests of stdio capture and of
// wait_for_server_ready (test_stdio_process.py). Cookie RPCPLUGIN_PROBE=probe.
//
// It serves nothing of its own. The plugin runs on a thread; the main thread calls
// wait_for_server_ready(20 s), prints "probe: ready=1" (or 0) on stdout, then, after
// PROBE_MODE:
//   basic  "out-line\n" (printf), "err-line\n" (std::cerr), a child process
//          (`echo child-out; echo child-err >&2`), 5000 bytes of a pattern written with
//          write(1), then "out-end\n" and "err-end\n"
//   flood  3 MiB of numbered lines ("%08d\n", 349526 of them) on stdout, then creates the
//          file PROBE_FLAG, then "flood-end\n"
//   (else) nothing more
// and waits for the plugin to stop (Controller.Shutdown, SIGTERM); exits with its status.
#include <rpcplugin/plugin/server.hpp>

#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>
#include <thread>
#include <unistd.h>

namespace
{
void write_all(int fd, std::string_view s)
{
    while (!s.empty())
    {
        ssize_t n = ::write(fd, s.data(), s.size());
        if (n <= 0)
            return;
        s.remove_prefix(static_cast<std::size_t>(n));
    }
}

std::string env(const char* name)
{
    const char* v = std::getenv(name);
    return v ? v : "";
}
} // namespace

int main()
{
    boost::asio::io_context io(1);
    rpcplugin::plugin::config defaults;
    defaults.magic_cookie_key = "RPCPLUGIN_PROBE";
    defaults.magic_cookie_value = "probe";
    rpcplugin::plugin::server plugin(io, defaults);

    int code = 1;
    std::thread runner([&] { code = plugin.run(); });
    const bool ready = plugin.wait_for_server_ready(std::chrono::seconds(20));
    std::printf("probe: ready=%d\n", ready ? 1 : 0);
    std::fflush(stdout);

    const std::string mode = env("PROBE_MODE");
    if (ready && mode == "basic")
    {
        std::printf("out-line\n");
        std::fflush(stdout);
        std::cerr << "err-line\n";
        std::system("echo child-out; echo child-err >&2");
        std::string pattern;
        for (int i = 0; i < 5000; ++i)
            pattern += static_cast<char>('a' + i % 26);
        write_all(1, pattern);
        write_all(1, "out-end\n");
        write_all(2, "err-end\n");
    }
    else if (ready && mode == "flood")
    {
        std::string block;
        char line[16];
        for (int i = 0; i < 349526; ++i)
        {
            std::snprintf(line, sizeof line, "%08d\n", i);
            block += line;
            if (block.size() >= 64 * 1024)
            {
                write_all(1, block);
                block.clear();
            }
        }
        write_all(1, block);
        std::ofstream(env("PROBE_FLAG")) << "written\n";
        write_all(1, "flood-end\n");
    }
    runner.join();
    return code;
}
