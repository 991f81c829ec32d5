#include "rpcplugin/transport/detect.hpp"

#include <doctest/doctest.h>

#include <cstddef>
#include <cstdint>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rpcplugin::transport
{
// Printed by doctest in failed CHECKs (found by ADL).
std::ostream& operator<<(std::ostream& os, protocol_guess g);

std::ostream& operator<<(std::ostream& os, protocol_guess g)
{
    switch (g)
    {
    case protocol_guess::need_more: return os << "need_more";
    case protocol_guess::http2_preface: return os << "http2_preface";
    case protocol_guess::tls_handshake: return os << "tls_handshake";
    case protocol_guess::http1_request: return os << "http1_request";
    case protocol_guess::unknown: return os << "unknown";
    }
    return os << "protocol_guess(" << static_cast<int>(g) << ")";
}
} // namespace rpcplugin::transport

namespace
{
using rpcplugin::transport::guess_protocol;
using rpcplugin::transport::http2_preface;
using rpcplugin::transport::protocol_guess;

std::span<const unsigned char> bytes(std::string_view s)
{
    return {reinterpret_cast<const unsigned char*>(s.data()), s.size()};
}

protocol_guess guess(std::string_view s)
{
    return guess_protocol(bytes(s));
}

std::string pattern(std::size_t size, unsigned seed)
{
    std::string out(size, '\0');
    std::uint32_t state = seed * 2654435761u + 1;
    for (char& c : out)
    {
        state = state * 1664525u + 1013904223u;
        c = static_cast<char>(state >> 24);
    }
    return out;
}
} // namespace

TEST_SUITE("transport")
{
    TEST_CASE("guess_protocol needs more bytes for an empty input")
    {
        CHECK(guess_protocol({}) == protocol_guess::need_more);
    }

    TEST_CASE("guess_protocol asks for more at every proper prefix of the HTTP/2 preface")
    {
        REQUIRE(http2_preface.size() == 24);
        for (std::size_t n = 1; n < http2_preface.size(); ++n)
        {
            CAPTURE(n);
            CHECK(guess(http2_preface.substr(0, n)) == protocol_guess::need_more);
        }
        CHECK(guess(http2_preface) == protocol_guess::http2_preface);
    }

    TEST_CASE("guess_protocol recognises the preface followed by frames")
    {
        std::string data(http2_preface);
        data += std::string("\x00\x00\x00\x04\x00\x00\x00\x00\x00", 9); // empty SETTINGS
        CHECK(guess(data) == protocol_guess::http2_preface);
    }

    TEST_CASE("guess_protocol never calls a mismatched preface HTTP/2")
    {
        // Change one byte of the preface at each position: never http2_preface, and
        // decided (not need_more) once all 24 bytes are in.
        for (std::size_t i = 0; i < http2_preface.size(); ++i)
        {
            std::string bad(http2_preface);
            bad[i] = bad[i] == 'X' ? 'Y' : 'X';
            CAPTURE(i);
            CHECK(guess(bad) != protocol_guess::http2_preface);
            CHECK(guess(bad) != protocol_guess::need_more);
        }
        // "PRI " looks like an HTTP/1 method once the bytes stop matching the preface.
        CHECK(guess("PRI * HTTP/1.1\r\n") == protocol_guess::http1_request);
        CHECK(guess("PRI * HTTP/2.0\r\n\r\nXX") == protocol_guess::http1_request);
        CHECK(guess("PRI*") == protocol_guess::unknown);
        CHECK(guess("PRX") == protocol_guess::need_more); // still a possible method token
    }

    TEST_CASE("guess_protocol recognises a TLS handshake record")
    {
        CHECK(guess("\x16") == protocol_guess::need_more);
        CHECK(guess("\x16\x03") == protocol_guess::tls_handshake);
        const unsigned char client_hello[] = {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, 0xfc};
        CHECK(guess_protocol(client_hello) == protocol_guess::tls_handshake);
        // Content type 22 with a version that is not 3.x is not TLS.
        CHECK(guess("\x16\x02\x00") == protocol_guess::unknown);
        // Other TLS content types (application data, alert) are not a handshake.
        CHECK(guess("\x17\x03\x03") == protocol_guess::unknown);
        CHECK(guess("\x15\x03\x03") == protocol_guess::unknown);
    }

    TEST_CASE("guess_protocol recognises HTTP/1 request lines")
    {
        for (std::string_view method :
             {"GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE"})
        {
            std::string line = std::string(method) + " / HTTP/1.1\r\nHost: x\r\n\r\n";
            CAPTURE(line);
            CHECK(guess(line) == protocol_guess::http1_request);
            // Byte by byte: undecided while only the method token is in, then HTTP/1.
            for (std::size_t n = 1; n <= method.size(); ++n)
            {
                CAPTURE(n);
                CHECK(guess(std::string_view(line).substr(0, n)) == protocol_guess::need_more);
            }
            CHECK(guess(std::string_view(line).substr(0, method.size() + 1)) ==
                  protocol_guess::http1_request);
        }
    }

    TEST_CASE("guess_protocol bounds the method token at 15 characters")
    {
        CHECK(guess(std::string(15, 'A')) == protocol_guess::need_more);
        CHECK(guess(std::string(15, 'A') + " /") == protocol_guess::http1_request);
        CHECK(guess(std::string(16, 'A')) == protocol_guess::unknown);
        CHECK(guess(std::string(40, 'A')) == protocol_guess::unknown);
    }

    TEST_CASE("guess_protocol calls garbage unknown")
    {
        CHECK(guess(std::string("\x00\x01\x02", 3)) == protocol_guess::unknown);
        CHECK(guess("\xff") == protocol_guess::unknown);
        CHECK(guess("get / HTTP/1.1\r\n") == protocol_guess::unknown); // methods are upper case
        CHECK(guess(" GET / HTTP/1.1\r\n") == protocol_guess::unknown);
        CHECK(guess("GET\t/") == protocol_guess::unknown);
        CHECK(guess("{\"json\": 1}") == protocol_guess::unknown);
        CHECK(guess("SSH-2.0-OpenSSH_9.2\r\n") == protocol_guess::unknown);
    }

    TEST_CASE("guess_protocol decides within the length of the preface for any input")
    {
        // A caller reads until the answer is not need_more; it must never need more than
        // 24 bytes, whatever the peer sends.
        std::vector<std::string> inputs;
        for (unsigned seed = 0; seed < 2000; ++seed)
            inputs.push_back(pattern(http2_preface.size(), seed));
        for (std::size_t k = 0; k <= http2_preface.size(); ++k)
            inputs.push_back(std::string(http2_preface.substr(0, k)) +
                             pattern(http2_preface.size() - k, static_cast<unsigned>(k)));
        inputs.push_back(std::string(24, 'G'));
        inputs.push_back("PRI-PRI-PRI-PRI-PRI-PRI-");
        for (const auto& in : inputs)
        {
            CAPTURE(in);
            CHECK(guess(in) != protocol_guess::need_more);
        }
    }
}
