#pragma once

/**
 * @file
 * The server side of one call, as its handler sees it.
 */

#include "rpcplugin/asio.hpp"
#include "rpcplugin/detail/waiter.hpp"
#include "rpcplugin/grpc/compression.hpp"
#include "rpcplugin/grpc/detail/frame_queue.hpp"
#include "rpcplugin/grpc/framing.hpp"
#include "rpcplugin/grpc/metadata.hpp"
#include "rpcplugin/grpc/method.hpp"
#include "rpcplugin/grpc/status.hpp"
#include "rpcplugin/grpc/write_options.hpp"
#include "rpcplugin/http2/server_session.hpp"

#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace google::protobuf
{
class MessageLite;
}

namespace rpcplugin::grpc
{
struct server_options;

/**
 * One server call: request metadata, message reading and writing, response metadata,
 * cancellation. Created by the server for each request; the handler receives it by
 * reference and it lives until both the handler and the HTTP/2 stream are done.
 *
 * @par Cancellation
 * When the client resets the stream, the deadline (`grpc-timeout`) passes or the
 * connection ends, the call is cancelled: `cancelled()` turns true, and terminal
 * cancellation is emitted into the handler coroutine, so the operation it awaits (ours or
 * any other Asio operation) completes with `operation_aborted`. A pending `read` or
 * `write` then yields false.
 *
 * @par Thread Safety
 * Not thread-safe. The handler runs on the connection's strand; call the context only
 * from there.
 */
class server_context final : private http2::stream_observer,
                             public std::enable_shared_from_this<server_context>
{
public:
    /** Internal: created by the server's dispatcher. */
    server_context(http2::server_session& session, std::int32_t stream_id,
                   const server_options& opts, asio::any_io_executor ex);
    ~server_context() override;

    server_context(const server_context&) = delete;
    server_context& operator=(const server_context&) = delete;

    // --- the request ---------------------------------------------------------------------

    /** The method path, `/package.Service/Method`. */
    const std::string& method() const noexcept { return path_; }
    /** Custom metadata from the client (`-bin` values decoded), without reserved headers. */
    const metadata& client_metadata() const noexcept { return client_metadata_; }
    /** The call's deadline, when the client sent `grpc-timeout`. */
    std::optional<std::chrono::steady_clock::time_point> deadline() const noexcept
    {
        return deadline_;
    }
    /** The peer address (`ip:port` or `unix:`). */
    const std::string& peer() const noexcept { return peer_; }
    /** The connection's number, unique within the server (`connection_context::id`). */
    std::uint64_t connection_id() const noexcept { return connection_id_; }
    /** The `:authority` of the request. */
    const std::string& authority() const noexcept { return authority_; }
    /** The request's `grpc-encoding`. */
    encoding request_encoding() const noexcept { return request_encoding_; }
    /** True when the last message `read` returned had the compressed flag. */
    bool last_message_compressed() const noexcept { return last_compressed_; }
    /** True once the call was cancelled (client reset, deadline, connection gone). */
    bool cancelled() const noexcept { return cancelled_; }
    /** True once the status was sent (or the call was cancelled). */
    bool finished() const noexcept { return finished_ || closed_; }

    // --- messages --------------------------------------------------------------------------

    /**
     * Reads the next request message into `payload` (decompressed).
     *
     * Completes with true and a message; false at the end of the request stream, or when
     * the call failed or was cancelled (then `cancelled()` or `finished()` tells which).
     * A message that cannot be decompressed or is too large ends the call with a status.
     * Cancellation: terminal cancellation yields false.
     */
    asio::awaitable<bool> read(std::string& payload);

    /**
     * Queues a response message (raw bytes), sending the response headers first if needed.
     *
     * Completes with true once the message is queued and the call's queue is below its
     * high-water mark; false when the call is finished or cancelled, or the message is
     * larger than `max_send_message_size` (the call then ends with RESOURCE_EXHAUSTED).
     * Cancellation: terminal cancellation yields false.
     */
    asio::awaitable<bool> write(std::string_view payload, write_options opts = {});

    /** As `write(std::string_view)`, serializing a protobuf message without extra copies. */
    asio::awaitable<bool> write(const google::protobuf::MessageLite& message,
                                write_options opts = {});

    // --- response metadata -----------------------------------------------------------------

    /**
     * Adds initial metadata; only before the headers are sent. Returns false and adds
     * nothing when the headers are already sent or the entry is invalid: a key that is not
     * a gRPC key (`0-9 a-z _ - .`), a reserved key (pseudo-headers, `content-type`, `te`,
     * `grpc-*` except `grpc-status-details-bin`), or a non-`-bin` value that is not
     * printable ASCII or that starts or ends with a space (no HTTP/2 field value may, RFC
     * 9113 section 8.2.1). An invalid entry is logged (warn).
     */
    bool add_initial_metadata(std::string key, std::string value);
    /** Adds trailing metadata, sent with the status. Returns false and adds nothing for an
        invalid entry, as `add_initial_metadata`. */
    bool add_trailing_metadata(std::string key, std::string value);
    /** Chooses the response encoding; false (and no change) if the client does not accept it
        or the headers are already sent. */
    bool set_compression(encoding e);
    /** Sends the response headers now (with initial metadata), before any message. */
    void send_initial_metadata();

    /**
     * Ends the call with `s` now (the handler's return value is then ignored). Used by
     * stages and typed adapters; handlers normally just return their status.
     */
    void finish(const status& s);

    // --- internal: wiring done by the server --------------------------------------------

    /** Internal: the request head was accepted; returns a status to answer at once, if any. */
    std::optional<status> accept(http2::request_head& head, bool end_stream, std::string peer,
                                 std::uint64_t connection_id);
    /** Internal: the observer to install for the stream. */
    std::shared_ptr<http2::stream_observer> observer() { return {shared_from_this(), this}; }
    /** Internal: the slot to bind to the handler coroutine. */
    asio::cancellation_slot cancellation_slot() noexcept { return cancel_.slot(); }
    /** Internal: the handler completed with an exception. */
    void on_handler_exception(std::exception_ptr e);

private:
    // http2::stream_observer
    void on_data(std::span<const unsigned char> data) override;
    void on_end_stream() override;
    void on_close(std::uint32_t error_code) override;
    std::size_t read_body(std::span<unsigned char> dst, bool& eof) override;
    std::size_t body_ready() const noexcept override { return out_.bytes(); }
    std::vector<http2::header> take_trailers() override;
    std::size_t buffered_bytes() const noexcept override { return reader_.buffered_bytes(); }

    /** After a message was queued: sends the headers or resumes the stream, then waits
        while the queue is above its high-water mark. */
    asio::awaitable<bool> queued();
    void cancel_call();
    void release_flow_control();
    void send_headers(bool with_body);
    std::vector<http2::header> response_headers() const;
    std::vector<http2::header> status_fields(const status& s) const;
    void arm_deadline(std::chrono::nanoseconds timeout);
    bool valid_metadata(std::string_view key, std::string_view value) const;

    http2::server_session* session_;
    std::int32_t id_;
    const server_options& opts_;
    asio::any_io_executor ex_;

    std::string path_;
    std::string authority_;
    std::string peer_;
    std::uint64_t connection_id_ = 0;
    metadata client_metadata_;
    std::optional<std::chrono::steady_clock::time_point> deadline_;
    std::optional<asio::steady_timer> deadline_timer_;
    encoding request_encoding_ = encoding::identity;
    encoding response_encoding_ = encoding::identity;
    std::string accept_encoding_;

    reader reader_;
    std::size_t held_bytes_ = 0;
    bool end_stream_ = false;
    bool last_compressed_ = false;
    rpcplugin::detail::waiter read_ready_;

    metadata initial_metadata_;
    metadata trailing_metadata_;
    detail::frame_queue out_;
    std::vector<http2::header> trailers_;
    rpcplugin::detail::waiter write_ready_;

    asio::cancellation_signal cancel_;
    bool headers_sent_ = false;
    bool finished_ = false;
    bool closed_ = false;
    bool cancelled_ = false;
};
} // namespace rpcplugin::grpc
