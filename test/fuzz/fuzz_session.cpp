// Fuzz harness: raw client bytes after the connection preface, fed to one
// `http2::server_session` (memory mode) with the server's limits and the real gRPC
// dispatcher serving the fuzz service. Between input chunks the handlers run and the
// session's output is produced, as `http2::serve` interleaves them; the input's end is
// the peer's EOF.
//
// Invariants beyond "no crash, no sanitizer report, no leak":
//  - when `receive` fails with a protocol error, the output carries a GOAWAY;
//  - after the connection is lost every handler coroutine ends and no stream is left.
#include "fuzz/support/harness.hpp"
#include "grpc/detail/connection.hpp"
#include "rpcplugin/grpc/server.hpp"
#include "rpcplugin/http2/error.hpp"
#include "rpcplugin/http2/server_session.hpp"
#include "fuzz/support/frame_scanner.hpp"
#include "fuzz/support/fuzz_service.hpp"

#include <boost/asio/io_context.hpp>
#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string_view>
#include <vector>

namespace
{
namespace asio = boost::asio;
namespace grpc = rpcplugin::grpc;
namespace http2 = rpcplugin::http2;

constexpr std::string_view preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";
constexpr std::size_t chunk = 512;

[[noreturn]] void violated(const char* what)
{
    std::fprintf(stderr, "fuzz_session: invariant violated: %s\n", what);
    std::abort();
}

std::span<const unsigned char> bytes(std::string_view s)
{
    return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

// Runs ready handlers and drains the session's output (as the write loop would) until
// neither makes progress.
void settle(asio::io_context& io, http2::server_session& s, const http2::settings& cfg,
            rpcplugin::fuzz::frame_scanner& out_frames)
{
    for (int round = 0; round < 256; ++round)
    {
        io.restart(); // poll() stops the io_context when it runs out of work
        std::size_t ran = io.poll();
        std::vector<unsigned char> out;
        auto ec = s.produce(out, cfg.write_batch);
        out_frames.feed(out);
        if (ran == 0 && out.empty())
            return;
        if (ec && out.empty())
            return;
    }
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    asio::io_context io(1);
    rpcplugin::fuzz::liveness live;
    grpc::server srv;
    srv.options().log.set_level(rpcplugin::log_level::off);
    rpcplugin::fuzz::add_fuzz_service(srv, live);
    auto dispatcher = grpc::detail::make_dispatcher(srv, io.get_executor(), "fuzz:session");
    rpcplugin::fuzz::frame_scanner out_frames;
    {
        const auto& cfg = srv.options().http2;
        http2::server_session session(io.get_executor(), cfg, *dispatcher);
        boost::system::error_code error =
            session.receive(bytes(preface), std::chrono::steady_clock::now());
        std::span<const std::uint8_t> in(data, size);
        while (!error && session.want_read() && !in.empty())
        {
            auto n = std::min(chunk, in.size());
            error = session.receive(in.first(n), std::chrono::steady_clock::now());
            in = in.subspan(n);
            settle(io, session, cfg, out_frames);
        }
        // End of input: the peer is gone (or the session failed); as `http2::serve` does.
        session.close_all_streams(http2::connection_lost);
        settle(io, session, cfg, out_frames);

        // nghttp2 answers a protocol error with GOAWAY; only a flood (the peer does not
        // read), or a callback failure, ends the session without one.
        if (error && error != http2::make_nghttp2_error(NGHTTP2_ERR_FLOODED) &&
            !out_frames.saw(NGHTTP2_GOAWAY))
            violated("the session failed without sending GOAWAY");
        if (session.active_streams() != 0)
            violated("streams left after the connection was lost");
    }
    io.restart();
    io.poll();
    if (live.handlers != 0)
        violated("a handler coroutine did not end after the connection was lost");
    return 0;
}
