#pragma once

/**
 * @file
 * The client side of one call.
 */

#include "rpcplugin/asio.hpp"
#include "rpcplugin/detail/waiter.hpp"
#include "rpcplugin/grpc/channel_options.hpp"
#include "rpcplugin/grpc/detail/frame_queue.hpp"
#include "rpcplugin/grpc/framing.hpp"
#include "rpcplugin/grpc/metadata.hpp"
#include "rpcplugin/grpc/status.hpp"
#include "rpcplugin/grpc/write_options.hpp"
#include "rpcplugin/http2/client_session.hpp"

#include <boost/asio/steady_timer.hpp>

#include <deque>
#include <memory>
#include <optional>
#include <string>

namespace google::protobuf
{
class MessageLite;
}

namespace rpcplugin::grpc
{
class channel;

/**
 * One call on a channel: write request messages, half-close, read response messages,
 * then `finish` for the status. Created by `channel::start_call`.
 *
 * @par Cancellation
 * `cancel()` resets the stream (RST_STREAM CANCEL) and the call ends with CANCELLED. The
 * deadline (`call_options::timeout`) does the same with DEADLINE_EXCEEDED. Terminal
 * cancellation of an awaiting coroutine makes the pending operation yield false (or, for
 * `finish`, CANCELLED) and cancels the call.
 *
 * @par Thread Safety
 * Not thread-safe. Use a call only from coroutines running on its channel's executor.
 */
class client_call final : private http2::response_observer,
                          public std::enable_shared_from_this<client_call>
{
public:
    /** Internal: created by `channel::start_call`. */
    client_call(std::shared_ptr<channel> ch, const channel_options& opts, std::string path,
                call_options call_opts);
    ~client_call() override;

    client_call(const client_call&) = delete;
    client_call& operator=(const client_call&) = delete;

    /**
     * Queues a request message. Completes with true once queued below the call's
     * high-water mark; false when the call has ended (see `finish` for why) or after
     * `writes_done`. A message over `max_send_message_size` ends the call with
     * RESOURCE_EXHAUSTED.
     */
    asio::awaitable<bool> write(std::string_view payload, write_options opts = {});
    /** As `write(std::string_view)`, serializing a protobuf message. */
    asio::awaitable<bool> write(const google::protobuf::MessageLite& message,
                                write_options opts = {});
    /** Half-closes the request stream (END_STREAM). Idempotent. */
    void writes_done();

    /**
     * Reads the next response message. Completes with true and a message; false at the
     * end of the response stream or when the call failed (then `finish` tells why).
     */
    asio::awaitable<bool> read(std::string& payload);
    /** As `read(std::string&)`, parsing a protobuf message (INTERNAL if it does not parse). */
    asio::awaitable<bool> read(google::protobuf::MessageLite& message);

    /**
     * Waits for the end of the call and returns its status (from the trailers, or made
     * up from the transport failure: UNAVAILABLE, CANCELLED, DEADLINE_EXCEEDED, INTERNAL).
     * Response messages not read are discarded.
     */
    asio::awaitable<status> finish();

    /** Waits for the response headers; their custom metadata (empty if the call failed). */
    asio::awaitable<const metadata*> initial_metadata();
    /** Trailing metadata; complete once `finish` returned. */
    const metadata& trailing_metadata() const noexcept { return trailing_metadata_; }
    /** True when the last message `read` returned had the compressed flag. */
    bool last_message_compressed() const noexcept { return last_compressed_; }

    /** Cancels the call: RST_STREAM(CANCEL); the status becomes CANCELLED. */
    void cancel();

    /** Internal: submits the request on the channel's session. */
    void start(http2::client_session& session);
    /** Internal: the call could not start (channel closed). */
    void fail_unstarted(status s) { end(std::move(s)); }

private:
    // http2::response_observer
    void on_headers(std::vector<http2::header>&& fields, bool trailers, bool end_stream) override;
    void on_data(std::span<const unsigned char> data) override;
    void on_end_stream() override;
    void on_close(std::uint32_t error_code) override;
    std::size_t read_body(std::span<unsigned char> dst, bool& eof) override;
    std::size_t body_ready() const noexcept override { return out_.bytes(); }

    void end(status s);
    void take_status(const std::vector<http2::header>& fields);
    /** After a message was queued: resumes the stream, then waits while the queue is
        above its high-water mark. */
    asio::awaitable<bool> queued();
    void release_flow_control();
    void notify_all();
    void arm_deadline();

    std::shared_ptr<channel> channel_;
    const channel_options& opts_;
    std::string path_;
    call_options call_opts_;
    http2::client_session* session_ = nullptr;
    std::int32_t id_ = 0;

    detail::frame_queue out_;
    bool half_closed_ = false;
    rpcplugin::detail::waiter write_ready_;

    reader reader_;
    std::size_t held_bytes_ = 0;
    encoding response_encoding_ = encoding::identity;
    bool last_compressed_ = false;
    bool headers_received_ = false;
    metadata initial_metadata_;
    metadata trailing_metadata_;
    rpcplugin::detail::waiter read_ready_;

    std::optional<asio::steady_timer> deadline_timer_;
    std::optional<status> status_;
    bool closed_ = false;
    bool response_ended_ = false;
};
} // namespace rpcplugin::grpc
