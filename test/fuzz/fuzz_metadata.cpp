// Fuzz harness: gRPC request metadata validation. The input is a header list as text,
// one "name: value" field per line (what HPACK decoding yields; the seeds are header
// blocks recorded from interop clients). Every field goes through the parser its name
// selects, with round-trip properties, and the whole list through
// `server_context::accept`, the check a request passes before its handler starts.
//
// Properties checked (a violation aborts):
//  - grpc-timeout: a parsed value lies in [0, max_timeout]; format_timeout of it parses
//    back to a value no shorter, and the format of any duration parses;
//  - base64 / -bin values: a decoded value re-encodes (padded and unpadded) and decodes
//    back to itself; encode_value/decode_value round-trip;
//  - percent encoding: decode(encode(x)) == x for any bytes, encode's output is printable
//    ASCII, decode never grows the text;
//  - grpc-encoding / grpc-accept-encoding: a parsed name prints back equal ignoring case;
//    identity is always accepted;
//  - accept: a request is either refused with INTERNAL or UNIMPLEMENTED, or its client
//    metadata holds no reserved key and only printable values (any bytes for -bin), and
//    it has a deadline exactly when it sent grpc-timeout (a malformed one refuses it).
#include "fuzz/support/harness.hpp"
#include "rpcplugin/codec/base64.hpp"
#include "rpcplugin/grpc/compression.hpp"
#include "rpcplugin/grpc/metadata.hpp"
#include "rpcplugin/grpc/percent_encoding.hpp"
#include "rpcplugin/grpc/server_context.hpp"
#include "rpcplugin/grpc/server_options.hpp"
#include "rpcplugin/grpc/status.hpp"
#include "rpcplugin/grpc/timeout.hpp"
#include "rpcplugin/http2/server_session.hpp"

#include <boost/asio/io_context.hpp>

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace
{
namespace asio = boost::asio;
namespace grpc = rpcplugin::grpc;
namespace http2 = rpcplugin::http2;

[[noreturn]] void violated(const char* what, std::string_view detail = {})
{
    std::fprintf(stderr, "fuzz_metadata: property violated: %s [%.*s]\n", what,
                 static_cast<int>(detail.size()), detail.data());
    std::abort();
}

void check(bool ok, const char* what, std::string_view detail = {})
{
    if (!ok)
        violated(what, detail);
}

bool iequals(std::string_view a, std::string_view b)
{
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(a[i])) !=
            std::tolower(static_cast<unsigned char>(b[i])))
            return false;
    return true;
}

void check_timeout(std::string_view v)
{
    auto t = grpc::parse_timeout(v);
    if (!t)
        return;
    check(t->count() >= 0 && *t <= grpc::max_timeout, "timeout out of range", v);
    auto formatted = grpc::format_timeout(*t);
    auto back = grpc::parse_timeout(formatted);
    check(back.has_value(), "format_timeout output does not parse", formatted);
    check(*back >= *t || *t == grpc::max_timeout, "format_timeout shortened the timeout", v);
}

void check_base64(std::string_view v)
{
    auto d = rpcplugin::codec::base64_decode(v);
    if (!d)
        return;
    for (bool pad : {true, false})
    {
        auto e = rpcplugin::codec::base64_encode(*d, pad);
        auto again = rpcplugin::codec::base64_decode(e);
        check(again.has_value() && *again == *d, "base64 round trip", v);
    }
}

void check_percent(std::string_view v)
{
    auto enc = grpc::percent_encode(v);
    check(grpc::percent_decode(enc) == v, "percent_decode(percent_encode(x)) != x", v);
    check(grpc::is_valid_ascii_value(enc), "percent_encode output not printable", v);
    auto dec = grpc::percent_decode(v);
    check(dec.size() <= v.size(), "percent_decode grew the text", v);
}

void check_field(const std::string& name, const std::string& value)
{
    check_percent(value);
    check_base64(value);
    if (name == "grpc-timeout")
        check_timeout(value);
    if (name == "grpc-encoding" || name == "grpc-accept-encoding")
    {
        if (auto e = grpc::parse_encoding(value))
            check(iequals(grpc::to_string(*e), value), "encoding name round trip", value);
        check(grpc::accepts(value, grpc::encoding::identity), "identity not accepted", value);
        grpc::accepts(value, grpc::encoding::gzip);
        grpc::accepts(value, grpc::encoding::deflate);
    }
    if (name == "grpc-status")
    {
        char* end = nullptr;
        long n = std::strtol(value.c_str(), &end, 10);
        auto c = grpc::status_code_from_int(n);
        check(static_cast<int>(c) >= 0 && static_cast<int>(c) <= 16, "status code out of range",
              value);
        (void)grpc::to_string(c);
    }
    auto decoded = grpc::decode_value(name, value);
    if (decoded)
    {
        if (!grpc::is_binary_key(name))
            check(grpc::is_valid_ascii_value(*decoded), "non-binary value not printable", value);
        auto wire = grpc::encode_value(name, *decoded);
        auto again = grpc::decode_value(name, wire);
        check(again.has_value() && *again == *decoded, "encode_value/decode_value round trip",
              value);
    }
}

class no_dispatch final : public http2::dispatcher
{
public:
    std::shared_ptr<http2::stream_observer> on_request(http2::server_session&, std::int32_t,
                                                       http2::request_head&&, bool) override
    {
        return nullptr;
    }
};
} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    std::string_view text(reinterpret_cast<const char*>(data), size);
    http2::request_head head;
    bool any_timeout = false;
    while (!text.empty())
    {
        auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
        // "name: value"; a pseudo-header's own leading ':' is part of its name.
        auto sep = line.find(": ", 1);
        std::string name(line.substr(0, sep));
        std::string value(sep == std::string_view::npos ? std::string_view{}
                                                        : line.substr(sep + 2));
        check_field(name, value);
        if (name == ":path")
            head.path = value;
        else if (name == ":authority")
            head.authority = value;
        else if (name == ":method")
            head.method = value;
        else if (name == ":scheme")
            head.scheme = value;
        else
        {
            any_timeout = any_timeout || name == "grpc-timeout";
            head.fields.push_back({std::move(name), std::move(value)});
        }
    }
    // Fields the server would see (nghttp2 lower-cases and validates names first).
    asio::io_context io(1);
    grpc::server_options opts;
    no_dispatch d;
    http2::server_session session(io.get_executor(), opts.http2, d);
    auto ctx = std::make_shared<grpc::server_context>(session, 1, opts, io.get_executor());
    auto refused = ctx->accept(head, true, "fuzz:metadata", 0);
    if (refused)
    {
        auto c = refused->code();
        check(c == grpc::status_code::internal || c == grpc::status_code::unimplemented,
              "refusal with an unexpected code");
        check(!refused->message().empty(), "refusal without a message");
        return 0;
    }
    for (const auto& m : ctx->client_metadata())
    {
        check(!grpc::is_reserved_key(m.key), "reserved key in client metadata", m.key);
        if (!grpc::is_binary_key(m.key))
            check(grpc::is_valid_ascii_value(m.value), "unprintable client metadata value", m.key);
    }
    check(ctx->deadline().has_value() == any_timeout, "deadline mismatch");
    return 0;
}
