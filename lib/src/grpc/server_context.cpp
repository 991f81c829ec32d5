#include "rpcplugin/grpc/server_context.hpp"

#include "rpcplugin/grpc/error.hpp"
#include "rpcplugin/grpc/percent_encoding.hpp"
#include "rpcplugin/grpc/server_options.hpp"
#include "rpcplugin/grpc/timeout.hpp"

#include <boost/asio/post.hpp>
#include <google/protobuf/message_lite.h>
#include "detail/log_exceptions.hpp"
#include "grpc/detail/messages.hpp"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cstring>

namespace rpcplugin::grpc
{
server_context::server_context(http2::server_session& session, std::int32_t stream_id,
                               const server_options& opts, asio::any_io_executor ex)
    : session_(&session)
    , id_(stream_id)
    , opts_(opts)
    , ex_(ex)
    , reader_(opts.max_receive_message_size)
    , read_ready_(ex)
    , write_ready_(ex)
{
}

server_context::~server_context() = default;

std::optional<status> server_context::accept(http2::request_head& head, bool end_stream,
                                             std::string peer, std::uint64_t connection_id)
{
    path_ = std::move(head.path);
    authority_ = std::move(head.authority);
    peer_ = std::move(peer);
    connection_id_ = connection_id;
    end_stream_ = end_stream;
    std::optional<std::chrono::nanoseconds> timeout;
    for (auto& f : head.fields)
    {
        const auto& k = f.name;
        if (k == "grpc-timeout")
        {
            auto t = parse_timeout(f.value);
            if (!t)
                return status(status_code::internal, "malformed grpc-timeout: " + f.value);
            timeout = *t;
        }
        else if (k == "grpc-encoding")
        {
            auto e = parse_encoding(f.value);
            if (!e)
                return status(status_code::unimplemented,
                              "grpc-encoding " + f.value + " is not supported");
            request_encoding_ = *e;
        }
        else if (k == "grpc-accept-encoding")
            accept_encoding_ = f.value;
        else if (!is_reserved_key(k))
        {
            auto v = decode_value(k, f.value);
            if (!v)
                return status(status_code::internal, "invalid value of metadata key " + k);
            client_metadata_.push_back({std::move(f.name), std::move(*v)});
        }
    }
    if (timeout)
        arm_deadline(*timeout);
    return std::nullopt;
}

void server_context::arm_deadline(std::chrono::nanoseconds timeout)
{
    auto now = std::chrono::steady_clock::now();
    auto max_left = std::chrono::steady_clock::time_point::max() - now;
    deadline_ =
        timeout >= max_left
            ? std::chrono::steady_clock::time_point::max()
            : now + std::chrono::duration_cast<std::chrono::steady_clock::duration>(timeout);
    deadline_timer_.emplace(ex_, *deadline_);
    deadline_timer_->async_wait(
        [weak = weak_from_this()](boost::system::error_code ec)
        {
            auto self = weak.lock();
            if (ec || !self || self->finished())
                return;
            self->finish(status(status_code::deadline_exceeded, "deadline exceeded"));
            self->cancel_call();
        });
}

// --- reading -------------------------------------------------------------------------------

void server_context::on_data(std::span<const unsigned char> data)
{
    if (finished_ || closed_)
    {
        session_->consume(id_, data.size());
        return;
    }
    auto failed = detail::receive(session_, id_, reader_, held_bytes_, read_ready_, data);
    if (failed)
        finish(std::move(*failed));
}

void server_context::release_flow_control()
{
    detail::release_held(session_, id_, reader_, held_bytes_);
}

void server_context::on_end_stream()
{
    end_stream_ = true;
    if (!reader_.idle() && !finished_)
        finish(status(status_code::internal, "grpc: request stream ended inside a message"));
    read_ready_.notify();
}

asio::awaitable<bool> server_context::read(std::string& payload)
{
    for (;;)
    {
        if (finished_ || closed_)
            co_return false;
        if (reader_.has_message())
        {
            frame f = reader_.pop();
            release_flow_control();
            last_compressed_ = f.compressed;
            auto failed = detail::unpack_message(f, request_encoding_,
                                                 opts_.max_receive_message_size, payload);
            if (!failed)
                co_return true;
            finish(std::move(*failed));
            co_return false;
        }
        if (end_stream_)
            co_return false;
        auto [ec] = co_await read_ready_.async_wait(use_tuple);
        if (ec)
            co_return false;
    }
}

// --- writing -------------------------------------------------------------------------------

asio::awaitable<bool> server_context::write(std::string_view payload, write_options opts)
{
    if (finished_ || closed_)
        co_return false;
    auto failed = detail::queue_message(out_, payload, opts_.max_send_message_size,
                                        response_encoding_, opts.compress);
    if (failed)
    {
        finish(std::move(*failed));
        co_return false;
    }
    co_return co_await queued();
}

asio::awaitable<bool> server_context::write(const google::protobuf::MessageLite& message,
                                            write_options opts)
{
    if (finished_ || closed_)
        co_return false;
    if (!detail::queue_in_place(out_, message, opts_.max_send_message_size, response_encoding_,
                                opts.compress))
    {
        // The size limit's status or compression: through the general path.
        const std::string plain = message.SerializeAsString();
        const std::string_view view = plain;
        co_return co_await write(view, opts);
    }
    co_return co_await queued();
}

asio::awaitable<bool> server_context::queued()
{
    if (!headers_sent_)
        send_headers(true);
    else
        session_->resume(id_);
    while (out_.bytes() > opts_.write_high_water && !finished_ && !closed_)
    {
        auto [ec] = co_await write_ready_.async_wait(use_tuple);
        if (ec)
            co_return false;
    }
    co_return !closed_ && !cancelled_;
}

std::size_t server_context::read_body(std::span<unsigned char> dst, bool& eof)
{
    std::size_t n = out_.drain(dst);
    if (out_.bytes() <= opts_.write_high_water)
        write_ready_.notify();
    eof = out_.empty() && finished_;
    return n;
}

std::vector<http2::header> server_context::take_trailers()
{
    return std::move(trailers_);
}

// --- metadata and status -----------------------------------------------------------------

// Response metadata goes out as HTTP/2 header fields: an invalid name or value would make
// the peer reset the stream (losing the status), and a reserved key would forge transport
// fields such as grpc-status. A field value must not start or end with whitespace either
// (RFC 9113 section 8.2.1), which gRPC's printable-ASCII rule allows.
bool server_context::valid_metadata(std::string_view key, std::string_view value) const
{
    const bool padded = !value.empty() && (value.front() == ' ' || value.back() == ' ');
    if (is_valid_key(key) && !is_reserved_key(key) &&
        (is_binary_key(key) || (is_valid_ascii_value(value) && !padded)))
        return true;
    opts_.log.log(log_level::warn, "rpcplugin.grpc", "invalid response metadata dropped",
                  {{"method", path_}, {"key", key}});
    return false;
}

bool server_context::add_initial_metadata(std::string key, std::string value)
{
    if (headers_sent_ || !valid_metadata(key, value))
        return false;
    initial_metadata_.push_back({std::move(key), std::move(value)});
    return true;
}

bool server_context::add_trailing_metadata(std::string key, std::string value)
{
    if (!valid_metadata(key, value))
        return false;
    trailing_metadata_.push_back({std::move(key), std::move(value)});
    return true;
}

bool server_context::set_compression(encoding e)
{
    if (headers_sent_)
        return false;
    if (e != encoding::identity && !accepts(accept_encoding_, e))
        return false;
    response_encoding_ = e;
    return true;
}

void server_context::send_initial_metadata()
{
    if (!headers_sent_ && !finished_ && !closed_)
        send_headers(true);
}

std::vector<http2::header> server_context::response_headers() const
{
    std::vector<http2::header> h;
    h.reserve(4 + initial_metadata_.size());
    h.push_back({":status", "200"});
    h.push_back({"content-type", "application/grpc"});
    if (response_encoding_ != encoding::identity)
        h.push_back({"grpc-encoding", std::string(to_string(response_encoding_))});
    h.push_back({"grpc-accept-encoding", accept_encoding_header()});
    for (const auto& m : initial_metadata_)
        h.push_back({m.key, encode_value(m.key, m.value)});
    return h;
}

std::vector<http2::header> server_context::status_fields(const status& s) const
{
    std::vector<http2::header> t;
    t.reserve(2 + trailing_metadata_.size());
    t.push_back({"grpc-status", std::to_string(static_cast<int>(s.code()))});
    if (!s.message().empty())
        t.push_back({"grpc-message", percent_encode(s.message())});
    for (const auto& m : trailing_metadata_)
        t.push_back({m.key, encode_value(m.key, m.value)});
    return t;
}

void server_context::send_headers(bool with_body)
{
    headers_sent_ = true;
    if (response_encoding_ == encoding::identity && initial_metadata_.empty())
    {
        // The usual response head, built once: no allocation per call.
        static const std::vector<http2::header> plain = response_headers();
        session_->respond(id_, plain, with_body);
        return;
    }
    auto h = response_headers();
    session_->respond(id_, h, with_body);
}

void server_context::finish(const status& s)
{
    if (finished_ || closed_)
        return;
    finished_ = true;
    if (deadline_timer_)
        deadline_timer_->cancel();
    if (!headers_sent_ && initial_metadata_.empty())
    {
        // Trailers-Only: one HEADERS frame with END_STREAM.
        headers_sent_ = true;
        auto h = response_headers();
        auto t = status_fields(s);
        h.insert(h.end(), std::make_move_iterator(t.begin()), std::make_move_iterator(t.end()));
        session_->respond(id_, h, false);
    }
    else
    {
        trailers_ = status_fields(s);
        if (!headers_sent_)
            send_headers(true);
        else
            session_->resume(id_);
    }
    read_ready_.notify();
    write_ready_.notify();
}

void server_context::on_handler_exception(std::exception_ptr e)
{
    const std::string what = rpcplugin::detail::exception_text(e);
    if (cancelled_ || closed_)
    {
        opts_.log.log(log_level::debug, "rpcplugin.grpc", "handler ended after cancellation",
                      {{"method", path_}, {"error", what}});
        return;
    }
    opts_.log.log(log_level::error, "rpcplugin.grpc", "handler threw an exception",
                  {{"method", path_}, {"error", what}});
    finish(status(status_code::unknown, "unexpected error in handler"));
}

// --- ending --------------------------------------------------------------------------------

void server_context::on_close(std::uint32_t error_code)
{
    closed_ = true;
    bool was_finished = finished_;
    if (deadline_timer_)
        deadline_timer_->cancel();
    out_.clear();
    if (!was_finished || error_code != NGHTTP2_NO_ERROR)
        cancel_call();
    // Bytes still held for backpressure go back to the connection window now: nobody can
    // acknowledge them once the stream is gone, and the window would shrink for good.
    if (session_ && held_bytes_ > 0)
        session_->consume(id_, std::exchange(held_bytes_, 0));
    session_ = nullptr;
    read_ready_.notify();
    write_ready_.notify();
}

void server_context::cancel_call()
{
    if (cancelled_)
        return;
    cancelled_ = true;
    cancel_.emit(asio::cancellation_type::terminal);
    // co_spawn's handler in our slot forwards the emission with asio::dispatch: inline on
    // the strand, but queued when we are called from elsewhere, and the queued function
    // points into `cancel_`. Our caller may drop the last reference to us right away (a
    // session closing its streams), so stay alive until the queue has passed that point.
    if (auto self = weak_from_this().lock())
        asio::post(ex_, [self = std::move(self)] {});
}
} // namespace rpcplugin::grpc
