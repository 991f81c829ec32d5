#include "rpcplugin/http2/refusal.hpp"

#include "raw_frames.hpp"
#include "rpcplugin/http2/error.hpp"

#include <doctest/doctest.h>
#include <nghttp2/nghttp2.h>

namespace http2 = rpcplugin::http2;
namespace raw = rpcplugin::test::raw;

TEST_SUITE("http2")
{
    TEST_CASE("refusal_frames: the server preface, then GOAWAY with the code and the reason")
    {
        auto out = http2::refusal_frames(http2::code::protocol_error, "TLS required");
        auto frames = raw::parse(raw::bytes(out.begin(), out.end()));
        REQUIRE(frames.size() == 2);
        CHECK(frames[0].type == NGHTTP2_SETTINGS);
        CHECK(frames[0].flags == 0);
        CHECK(frames[0].payload.empty());
        CHECK(frames[1].type == NGHTTP2_GOAWAY);
        CHECK(frames[1].stream_id == 0);
        CHECK(frames[1].goaway_last_id() == 0);
        CHECK(frames[1].goaway_code() == NGHTTP2_PROTOCOL_ERROR);
        CHECK(frames[1].goaway_debug() == "TLS required");
    }

    TEST_CASE("refusal_frames: another code and no reason")
    {
        auto out = http2::refusal_frames(http2::code::enhance_your_calm, "");
        auto frames = raw::parse(raw::bytes(out.begin(), out.end()));
        REQUIRE(frames.size() == 2);
        CHECK(frames[1].goaway_code() == NGHTTP2_ENHANCE_YOUR_CALM);
        CHECK(frames[1].goaway_debug().empty());
    }
}
