#include "rpcplugin/grpc/client_call.hpp"

#include "grpc/detail/messages.hpp"

#include "rpcplugin/grpc/channel.hpp"
#include "rpcplugin/grpc/error.hpp"
#include "rpcplugin/grpc/percent_encoding.hpp"

#include <google/protobuf/message_lite.h>
#include <nghttp2/nghttp2.h>

#include <charconv>
#include <cstring>

namespace rpcplugin::grpc
{
namespace
{
const std::string* field(const std::vector<http2::header>& fields, std::string_view name)
{
    for (const auto& f : fields)
        if (f.name == name)
            return &f.value;
    return nullptr;
}

// gRPC's mapping of HTTP statuses for responses that are not gRPC (PROTOCOL-HTTP2.md).
status_code from_http_status(std::string_view s) noexcept
{
    if (s == "400")
        return status_code::internal;
    if (s == "401")
        return status_code::unauthenticated;
    if (s == "403")
        return status_code::permission_denied;
    if (s == "404")
        return status_code::unimplemented;
    if (s == "429" || s == "502" || s == "503" || s == "504")
        return status_code::unavailable;
    return status_code::unknown;
}

// What a stream reset without a status means to the caller (PROTOCOL-HTTP2.md).
status from_reset(std::uint32_t code)
{
    switch (code)
    {
    case http2::connection_lost:
        return status(status_code::unavailable, "connection closed before the call ended");
    case NGHTTP2_REFUSED_STREAM:
        return status(status_code::unavailable, "stream refused by the server (REFUSED_STREAM)");
    case NGHTTP2_CANCEL:
        return status(status_code::cancelled, "stream cancelled by the server (CANCEL)");
    case NGHTTP2_ENHANCE_YOUR_CALM:
        return status(status_code::resource_exhausted, "stream reset: ENHANCE_YOUR_CALM");
    case NGHTTP2_NO_ERROR:
        return status(status_code::internal, "stream closed without a grpc-status");
    default:
        return status(status_code::internal,
                      "stream reset with HTTP/2 error " + std::to_string(code));
    }
}
} // namespace

client_call::client_call(std::shared_ptr<channel> ch, const channel_options& opts, std::string path,
                         call_options call_opts)
    : channel_(std::move(ch))
    , opts_(opts)
    , path_(std::move(path))
    , call_opts_(std::move(call_opts))
    , write_ready_(channel_->get_executor())
    , reader_(opts.max_receive_message_size)
    , read_ready_(channel_->get_executor())
{
}

client_call::~client_call()
{
    if (session_ && !closed_)
        session_->reset(id_, NGHTTP2_CANCEL);
}

void client_call::start(http2::client_session& session)
{
    // The usual call (no deadline, metadata or compression) reuses the channel's head for
    // its method: nghttp2 copies it anyway.
    const bool plain = !call_opts_.timeout && call_opts_.metadata.empty() &&
                       call_opts_.compression == encoding::identity;
    const std::vector<http2::header>* cached = plain ? channel_->cached_head(path_) : nullptr;
    std::vector<http2::header> built;
    if (!cached)
        built = channel_->request_headers(path_, call_opts_);
    std::int32_t id =
        session.submit(cached ? *cached : built, true,
                       std::shared_ptr<http2::response_observer>(shared_from_this(), this));
    if (id < 0)
    {
        end(status(status_code::unavailable,
                   std::string("cannot start a stream: ") + nghttp2_strerror(id)));
        return;
    }
    session_ = &session;
    id_ = id;
    arm_deadline();
}

void client_call::arm_deadline()
{
    if (!call_opts_.timeout)
        return;
    deadline_timer_.emplace(channel_->get_executor());
    deadline_timer_->expires_after(
        std::chrono::duration_cast<std::chrono::steady_clock::duration>(*call_opts_.timeout));
    deadline_timer_->async_wait(
        [weak = weak_from_this()](boost::system::error_code ec)
        {
            auto self = weak.lock();
            if (ec || !self || self->status_)
                return;
            self->end(status(status_code::deadline_exceeded, "deadline exceeded"));
            if (self->session_)
                self->session_->reset(self->id_, NGHTTP2_CANCEL);
        });
}

// --- writing -------------------------------------------------------------------------------

asio::awaitable<bool> client_call::write(std::string_view payload, write_options opts)
{
    if (status_ || half_closed_ || !session_)
        co_return false;
    auto failed = detail::queue_message(out_, payload, opts_.max_send_message_size,
                                        call_opts_.compression, opts.compress);
    if (failed)
    {
        end(std::move(*failed));
        session_->reset(id_, NGHTTP2_CANCEL);
        co_return false;
    }
    co_return co_await queued();
}

asio::awaitable<bool> client_call::write(const google::protobuf::MessageLite& message,
                                         write_options opts)
{
    if (status_ || half_closed_ || !session_)
        co_return false;
    if (!detail::queue_in_place(out_, message, opts_.max_send_message_size, call_opts_.compression,
                                opts.compress))
    {
        // The size limit's status or compression: through the general path.
        const std::string plain = message.SerializeAsString();
        const std::string_view view = plain;
        co_return co_await write(view, opts);
    }
    co_return co_await queued();
}

asio::awaitable<bool> client_call::queued()
{
    session_->resume(id_);
    while (out_.bytes() > opts_.write_high_water && !status_ && !closed_)
    {
        auto [ec] = co_await write_ready_.async_wait(use_tuple);
        if (ec)
        {
            cancel();
            co_return false;
        }
    }
    co_return !status_ && !closed_;
}

void client_call::writes_done()
{
    if (half_closed_)
        return;
    half_closed_ = true;
    if (session_ && !closed_)
        session_->resume(id_);
}

std::size_t client_call::read_body(std::span<unsigned char> dst, bool& eof)
{
    std::size_t n = out_.drain(dst);
    if (out_.bytes() <= opts_.write_high_water)
        write_ready_.notify();
    eof = out_.empty() && half_closed_;
    return n;
}

// --- reading -------------------------------------------------------------------------------

void client_call::on_headers(std::vector<http2::header>&& fields, bool trailers, bool end_stream)
{
    if (!trailers)
    {
        headers_received_ = true;
        const std::string* code = field(fields, ":status");
        const std::string* ct = field(fields, "content-type");
        bool has_grpc_status = field(fields, "grpc-status") != nullptr;
        if (!code || *code != "200")
        {
            std::string c = code ? *code : "(none)";
            end(status(from_http_status(c), "unexpected HTTP status " + c + " from the server" +
                                                (ct ? " (content-type " + *ct + ")" : "")));
            if (session_)
                session_->reset(id_, NGHTTP2_CANCEL);
            notify_all();
            return;
        }
        if (!ct || !ct->starts_with("application/grpc"))
        {
            end(status(status_code::unknown,
                       "the server is not a gRPC server: content-type " + (ct ? *ct : "(none)")));
            if (session_)
                session_->reset(id_, NGHTTP2_CANCEL);
            notify_all();
            return;
        }
        if (const std::string* e = field(fields, "grpc-encoding"))
        {
            auto enc = parse_encoding(*e);
            if (!enc)
            {
                end(status(status_code::internal, "the server used unknown grpc-encoding " + *e));
                if (session_)
                    session_->reset(id_, NGHTTP2_CANCEL);
                notify_all();
                return;
            }
            response_encoding_ = *enc;
        }
        for (auto& f : fields)
        {
            if (is_reserved_key(f.name))
                continue;
            if (auto v = decode_value(f.name, f.value))
                initial_metadata_.push_back({std::move(f.name), std::move(*v)});
        }
        if (end_stream || has_grpc_status) // Trailers-Only
            take_status(fields);
    }
    else
        take_status(fields);
    if (end_stream)
        response_ended_ = true;
    notify_all();
}

void client_call::take_status(const std::vector<http2::header>& fields)
{
    for (const auto& f : fields)
    {
        if (is_reserved_key(f.name) || f.name.starts_with(':'))
            continue;
        if (auto v = decode_value(f.name, f.value))
            trailing_metadata_.push_back({f.name, std::move(*v)});
    }
    const std::string* code = field(fields, "grpc-status");
    if (!code)
    {
        end(status(status_code::unknown, "the server sent no grpc-status"));
        return;
    }
    long c = 0;
    auto [p, ec] = std::from_chars(code->data(), code->data() + code->size(), c);
    if (ec != std::errc{} || p != code->data() + code->size())
    {
        end(status(status_code::unknown, "malformed grpc-status " + *code));
        return;
    }
    const std::string* msg = field(fields, "grpc-message");
    end(status(status_code_from_int(c), msg ? percent_decode(*msg) : std::string()));
}

void client_call::on_data(std::span<const unsigned char> data)
{
    if (status_ || !session_)
    {
        if (session_)
            session_->consume(id_, data.size());
        return;
    }
    auto failed = detail::receive(session_, id_, reader_, held_bytes_, read_ready_, data);
    if (failed)
    {
        end(std::move(*failed));
        session_->reset(id_, NGHTTP2_CANCEL);
    }
}

void client_call::release_flow_control()
{
    detail::release_held(session_, id_, reader_, held_bytes_);
}

void client_call::on_end_stream()
{
    response_ended_ = true;
    if (!status_)
        end(status(status_code::internal, "the server ended the stream without trailers"));
    notify_all();
}

void client_call::on_close(std::uint32_t error_code)
{
    closed_ = true;
    // Bytes still held for backpressure go back to the connection window now: nobody can
    // acknowledge them once the stream is gone, and the window would shrink for good.
    if (session_ && held_bytes_ > 0)
        session_->consume(id_, std::exchange(held_bytes_, 0));
    session_ = nullptr;
    if (!status_)
        end(from_reset(error_code));
    notify_all();
}

asio::awaitable<bool> client_call::read(std::string& payload)
{
    for (;;)
    {
        if (reader_.has_message())
        {
            frame f = reader_.pop();
            release_flow_control();
            last_compressed_ = f.compressed;
            auto failed = detail::unpack_message(f, response_encoding_,
                                                 opts_.max_receive_message_size, payload);
            if (!failed)
                co_return true;
            end(std::move(*failed));
            cancel();
            co_return false;
        }
        if (status_ || response_ended_ || closed_)
            co_return false;
        auto [ec] = co_await read_ready_.async_wait(use_tuple);
        if (ec)
        {
            cancel();
            co_return false;
        }
    }
}

asio::awaitable<bool> client_call::read(google::protobuf::MessageLite& message)
{
    std::string buf;
    bool got = co_await read(buf);
    if (!got)
        co_return false;
    if (!message.ParseFromString(buf))
    {
        end(status(status_code::internal, "grpc: failed to parse response message"));
        cancel();
        co_return false;
    }
    co_return true;
}

asio::awaitable<status> client_call::finish()
{
    while (!status_)
    {
        auto [ec] = co_await read_ready_.async_wait(use_tuple);
        if (ec)
            cancel();
    }
    // Unread messages are dropped; their window goes back to the server.
    while (reader_.has_message())
        reader_.pop();
    release_flow_control();
    co_return *status_;
}

asio::awaitable<const metadata*> client_call::initial_metadata()
{
    while (!headers_received_ && !status_)
    {
        auto [ec] = co_await read_ready_.async_wait(use_tuple);
        if (ec)
            cancel();
    }
    co_return &initial_metadata_;
}

void client_call::cancel()
{
    if (!status_)
        end(status(status_code::cancelled, "call cancelled by the client"));
    if (session_ && !closed_)
        session_->reset(id_, NGHTTP2_CANCEL);
}

void client_call::end(status s)
{
    if (status_)
        return;
    status_ = std::move(s);
    if (deadline_timer_)
        deadline_timer_->cancel();
    notify_all();
}

void client_call::notify_all()
{
    read_ready_.notify();
    write_ready_.notify();
}
} // namespace rpcplugin::grpc
