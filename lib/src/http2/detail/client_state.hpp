#pragma once

/**
 * @file
 * The private state of a `client_session`: its streams and its nghttp2 callback targets.
 */

#include "http2/detail/session_core.hpp"
#include "rpcplugin/http2/client_session.hpp"

#include <nghttp2/nghttp2.h>

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace rpcplugin::http2::detail
{
/** One request stream of a client session. */
struct client_stream
{
    std::shared_ptr<response_observer> observer;
    std::vector<header> fields;
    std::size_t list_size = 0;
    bool head_seen = false;
};

class client_streams : public stream_table<client_stream>
{
};

/** The nghttp2 callback targets of a client session (client_session.cpp). */
struct client_events
{
    using session = client_session;
    /** The session core, for the callbacks' exception handling (callbacks.cpp). */
    static session_core& core(client_session& s) noexcept { return *s.core_; }
    static int on_begin_headers(client_session& s, const nghttp2_frame& frame);
    static int on_header(client_session& s, const nghttp2_frame& frame,
                         std::span<const unsigned char> name, std::span<const unsigned char> value);
    static int on_frame_recv(client_session& s, const nghttp2_frame& frame);
    static int on_data_chunk(client_session& s, std::int32_t id,
                             std::span<const unsigned char> data);
    static int on_stream_close(client_session& s, std::int32_t id, std::uint32_t error_code);
    static long read_body(client_session& s, std::int32_t id, std::uint8_t* buf, std::size_t len,
                          std::uint32_t* flags);
    static int send_data(client_session& s, const nghttp2_frame& frame, const std::uint8_t* framehd,
                         std::size_t length) noexcept;

private:
    static int on_headers(client_session& s, const nghttp2_frame& frame);
};
} // namespace rpcplugin::http2::detail
