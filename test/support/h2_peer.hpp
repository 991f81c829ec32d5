#pragma once

/**
 * @file
 * An nghttp2 *client* session in memory, for testing `http2::server_session` without
 * sockets (nghttp2's own session tests do the same with `scripted_data_feed` and
 * `accumulator`): it records every frame and every stream it sees, and sends request
 * bodies and trailers under the test's control.
 */

#include "rpcplugin/http2/server_session.hpp"

#include <boost/system/error_code.hpp>
#include <nghttp2/nghttp2.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace rpcplugin::test
{
/** A frame the peer received. */
struct frame_record
{
    std::uint8_t type = 0;
    std::uint8_t flags = 0;
    std::int32_t stream_id = 0;
    /** RST_STREAM and GOAWAY. */
    std::uint32_t error_code = 0;
    /** GOAWAY. */
    std::int32_t last_stream_id = 0;
    /** WINDOW_UPDATE. */
    std::int32_t window_increment = 0;
    /** SETTINGS. */
    std::vector<nghttp2_settings_entry> settings;

    bool has(std::uint8_t flag) const noexcept { return (flags & flag) != 0; }
};

std::ostream& operator<<(std::ostream& os, const frame_record& f);

/** What the peer knows about one of its streams. */
struct peer_stream
{
    /** Response header fields, `:status` included, in arrival order. */
    std::vector<http2::header> headers;
    /** Trailer fields. */
    std::vector<http2::header> trailers;
    /** Response body. */
    std::string body;
    bool closed = false;
    std::uint32_t close_error = 0;

    // Request body under the test's control (see `h2_peer::send`).
    std::string outgoing;
    std::size_t sent = 0;
    bool end = false;
    std::vector<http2::header> outgoing_trailers;

    /** The value of the first response field `name`, or empty. */
    std::string header(std::string_view name) const;
    /** The value of the first trailer `name`, or empty. */
    std::string trailer(std::string_view name) const;
};

/** An nghttp2 client session in memory mode. */
class h2_peer
{
public:
    /**
     * Queues the connection preface and a SETTINGS frame with `settings`. Until the
     * server's SETTINGS arrive, the peer opens at most `assumed_max_streams` streams
     * (nghttp2's default is 100; more lets a test exceed the server's limit).
     */
    explicit h2_peer(std::span<const nghttp2_settings_entry> settings = {},
                     std::uint32_t assumed_max_streams = 100);
    ~h2_peer();
    h2_peer(const h2_peer&) = delete;
    h2_peer& operator=(const h2_peer&) = delete;

    /**
     * Submits a request. With `end_stream` the HEADERS frame ends the stream; otherwise the
     * body is sent as `send` supplies it.
     */
    std::int32_t request(const std::vector<http2::header>& headers, bool end_stream);

    /** A POST request with gRPC-like headers for `path`. */
    std::int32_t post(std::string_view path, bool end_stream = false);

    /** Queues request body bytes; `end` ends the stream after them (or after `trailers`). */
    void send(std::int32_t id, std::string_view data, bool end = false,
              std::vector<http2::header> trailers = {});

    /** Submits RST_STREAM. */
    void reset(std::int32_t id, std::uint32_t error_code);

    /** Takes everything the session has to send (mem_send until empty). */
    std::vector<unsigned char> take_output();

    /** Feeds bytes from the server; returns nghttp2's result (bytes or a negative error). */
    long receive(std::span<const unsigned char> data);

    /** Streams by id; created by `request`. */
    std::map<std::int32_t, peer_stream> streams;
    /** Every frame received, in order. */
    std::vector<frame_record> frames;
    /** nghttp2's reasons for the errors it found in the server's output (the text behind
        each RST_STREAM or GOAWAY the peer sent for a protocol error). */
    std::vector<std::string> errors;
    /** The first negative result of a callback-free nghttp2 call, 0 if none. */
    int last_error = 0;

    /** Received frames of one type (optionally of one stream). */
    std::vector<frame_record> frames_of(std::uint8_t type) const;
    std::vector<frame_record> frames_of(std::uint8_t type, std::int32_t stream_id) const;

    /** How many more bytes the peer may send on a stream (the server's window for it). */
    std::int32_t stream_send_window(std::int32_t id) const;
    /** How many more bytes the peer may send on the connection. */
    std::int32_t connection_send_window() const;

    nghttp2_session* native() noexcept { return session_; }

    // nghttp2 callback targets.
    int on_frame_recv(const nghttp2_frame& frame);
    int on_header(const nghttp2_frame& frame, std::string_view name, std::string_view value);
    int on_data_chunk(std::int32_t id, std::span<const unsigned char> data);
    int on_stream_close(std::int32_t id, std::uint32_t error_code);
    long read_body(std::int32_t id, unsigned char* buf, std::size_t len, std::uint32_t* flags);

private:
    nghttp2_session* session_ = nullptr;
};

/**
 * Moves bytes between `peer` and `server` until neither has anything to send.
 * Returns the first error of `server.receive` or `server.produce`; after a receive error
 * no more bytes are fed to the server, but what it queued is still delivered to the peer.
 * Throws when the exchange does not settle in `max_rounds`.
 */
boost::system::error_code pump(h2_peer& peer, http2::server_session& server, int max_rounds = 1000);
} // namespace rpcplugin::test
