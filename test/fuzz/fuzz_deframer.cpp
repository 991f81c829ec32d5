// Fuzz harness: the message deframer (`grpc::reader`) fed at arbitrary split points, and
// the decompression of what it yields (`grpc::decompress`, gzip and deflate) under the
// receive size limit. Input: [limit selector][encoding selector][split seed] then the
// request body bytes (the seeds are DATA payloads recorded from interop clients).
//
// Properties checked (a violation aborts):
//  - the messages, error and idle state do not depend on how the bytes were split;
//  - no message is longer than the limit; a "too large" error names a longer length;
//  - re-framing the messages reproduces the input up to the last complete message;
//  - decompressed output never exceeds the limit, and a limit of exactly its size
//    accepts it while one byte less refuses it (decompressed_too_large);
//  - compress then decompress is the identity.
#include "fuzz/support/harness.hpp"
#include "rpcplugin/grpc/compression.hpp"
#include "rpcplugin/grpc/error.hpp"
#include "rpcplugin/grpc/framing.hpp"
#include "fuzz/support/input.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace
{
namespace grpc = rpcplugin::grpc;

[[noreturn]] void violated(const char* what)
{
    std::fprintf(stderr, "fuzz_deframer: property violated: %s\n", what);
    std::abort();
}

void check(bool ok, const char* what)
{
    if (!ok)
        violated(what);
}

std::span<const unsigned char> bytes(std::string_view s)
{
    return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

constexpr std::size_t limits[] = {0, 1, 5, 64, 1024, 64 * 1024, 4 * 1024 * 1024, 16 * 1024 * 1024};

struct outcome
{
    std::vector<grpc::frame> messages;
    boost::system::error_code error;
    bool idle = false;
};

outcome deframe(std::string_view body, std::size_t limit, std::uint8_t seed)
{
    grpc::reader r(limit);
    outcome o;
    // Chunk sizes from a small LCG over the seed: 1 byte to ~4 KiB, or all at once (seed 0).
    std::uint32_t state = seed;
    std::size_t pos = 0;
    while (pos < body.size())
    {
        std::size_t n = body.size() - pos;
        if (seed != 0)
        {
            state = state * 1103515245u + 12345u;
            std::size_t cap = (state >> 16) % 7 == 0 ? 4096 : 16;
            n = std::min(n, 1 + static_cast<std::size_t>(state >> 8) % cap);
        }
        auto ec = r.feed(bytes(body.substr(pos, n)));
        pos += n;
        // Pop as a handler would, sometimes between chunks.
        while ((state & 1) && r.has_message())
            o.messages.push_back(r.pop());
        if (ec)
        {
            check(r.feed(bytes(body.substr(pos))) == ec, "a failed reader forgot its error");
            break;
        }
    }
    while (r.has_message())
        o.messages.push_back(r.pop());
    o.error = r.error();
    o.idle = r.idle();
    if (o.error == grpc::errc::message_too_large)
        check(r.last_declared_length() > limit, "too large, but the declared length fits");
    return o;
}

void check_decompress(grpc::encoding e, std::string_view data, std::size_t limit)
{
    auto plain = grpc::decompress(e, bytes(data), limit);
    if (!plain)
    {
        check(plain.error() == grpc::errc::bad_compression ||
                  plain.error() == grpc::errc::decompressed_too_large,
              "decompress failed with an unexpected error");
        return;
    }
    check(plain->size() <= limit, "decompressed past the limit");
    auto exact = grpc::decompress(e, bytes(data), plain->size());
    check(exact.has_value() && *exact == *plain, "a limit of exactly the size refused");
    if (!plain->empty())
    {
        auto less = grpc::decompress(e, bytes(data), plain->size() - 1);
        check(!less && less.error() == grpc::errc::decompressed_too_large,
              "a limit one byte short accepted");
    }
}

void check_round_trip(grpc::encoding e, std::string_view plain)
{
    auto z = grpc::compress(e, bytes(plain));
    check(z.has_value(), "compress failed");
    auto back = grpc::decompress(e, bytes(*z), plain.size());
    check(back.has_value() && *back == plain, "compress/decompress round trip");
}
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    rpcplugin::fuzz::input in({data, size});
    const std::size_t limit = limits[in.pick(std::size(limits))];
    const auto enc = static_cast<grpc::encoding>(in.pick(3));
    const std::uint8_t seed = in.u8();
    const std::string body = in.rest();

    outcome whole = deframe(body, limit, 0);
    outcome split = deframe(body, limit, seed);
    check(whole.error == split.error, "the error depends on the split");
    check(whole.idle == split.idle, "the idle state depends on the split");
    check(whole.messages.size() == split.messages.size(), "the message count depends on the split");
    std::string reframed;
    for (std::size_t i = 0; i < whole.messages.size(); ++i)
    {
        const auto& a = whole.messages[i];
        const auto& b = split.messages[i];
        check(a.compressed == b.compressed && a.payload == b.payload,
              "a message depends on the split");
        check(a.payload.size() <= limit, "a message longer than the limit");
        reframed += grpc::encode_frame(a.compressed, a.payload);
    }
    check(std::string_view(body).substr(0, reframed.size()) == reframed,
          "re-framed messages differ from the input");
    if (!whole.error && whole.idle)
        check(reframed.size() == body.size(), "idle with bytes left over");

    // What `server_context::read` does with each message, under the same limit.
    for (const auto& m : whole.messages)
    {
        if (m.compressed)
            check_decompress(enc, m.payload, limit);
        else
            check_round_trip(enc, m.payload.substr(0, 4096));
    }
    // The body as one compressed blob too: most mutations never form a valid frame.
    check_decompress(enc, body, limit);
    return 0;
}
