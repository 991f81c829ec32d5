// The gRPC dispatcher of a connection: routing by :path, the late 415/405 answers, header
// checks, and the handler coroutines.
#include "grpc/detail/connection.hpp"

#include "rpcplugin/grpc/method.hpp"
#include "rpcplugin/grpc/percent_encoding.hpp"
#include "rpcplugin/grpc/server.hpp"

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>

#include <cstring>

namespace rpcplugin::grpc::detail
{
namespace
{
// A request refused without a handler (415, 405): the plain-text answer goes out once the
// request has ended, so that the stream stays open for the client's frames until then and
// their protocol errors get the reaction RFC 9113 requires (a stream the server had already
// closed would swallow them). The body is acknowledged and discarded; past
// `settings::refused_body_limit` bytes the answer goes out at once (nghttp2 then resets the
// stream with NO_ERROR, RFC 9113 section 8.1).
class late_refusal final : public http2::stream_observer
{
public:
    late_refusal(http2::server_session& s, std::int32_t id, std::string status_code,
                 std::string body)
        : session_(s)
        , id_(id)
        , status_(std::move(status_code))
        , body_(std::move(body))
    {
    }

    // Answers now (the request has ended, or its body went past the limit).
    void answer()
    {
        if (answered_)
            return;
        answered_ = true;
        const http2::header h[] = {{":status", status_},
                                   {"content-type", "text/plain; charset=utf-8"}};
        session_.respond(id_, h, true);
    }

    void on_data(std::span<const unsigned char> data) override
    {
        session_.consume(id_, data.size());
        discarded_ += data.size();
        if (discarded_ > session_.limits().refused_body_limit)
            answer();
    }
    void on_end_stream() override { answer(); }
    void on_close(std::uint32_t) override {}
    std::size_t read_body(std::span<unsigned char> dst, bool& eof) override
    {
        std::size_t n = std::min(dst.size(), body_.size() - offset_);
        std::memcpy(dst.data(), body_.data() + offset_, n);
        offset_ += n;
        eof = offset_ == body_.size();
        return n;
    }
    std::vector<http2::header> take_trailers() override { return {}; }

private:
    http2::server_session& session_;
    std::int32_t id_;
    std::string status_;
    std::string body_;
    std::size_t offset_ = 0;
    std::size_t discarded_ = 0;
    bool answered_ = false;
};

const std::string* field(const http2::request_head& head, std::string_view name)
{
    for (const auto& f : head.fields)
        if (f.name == name)
            return &f.value;
    return nullptr;
}

// A 415/405 answer, now if the request has ended, else when it ends (late_refusal).
std::shared_ptr<http2::stream_observer> answer_http(http2::server_session& s, std::int32_t id,
                                                    bool end_stream, std::string status_code,
                                                    std::string body)
{
    auto obs = std::make_shared<late_refusal>(s, id, std::move(status_code), std::move(body));
    if (end_stream)
        obs->answer();
    return obs;
}

void answer_status(http2::server_session& s, std::int32_t id, const status& st)
{
    std::vector<http2::header> h{{":status", "200"},
                                 {"content-type", "application/grpc"},
                                 {"grpc-status", std::to_string(static_cast<int>(st.code()))}};
    if (!st.message().empty())
        h.push_back({"grpc-message", percent_encode(st.message())});
    s.respond(id, h, false);
}

std::string unknown_method_message(const server& srv, std::string_view path)
{
    const auto split = split_method_path(path);
    if (!split)
        return "malformed method name: " + std::string(path);
    if (!srv.has_service(split->service))
        return "unknown service " + std::string(split->service);
    return "unknown method " + std::string(split->method) + " for service " +
           std::string(split->service);
}

class dispatcher final : public http2::dispatcher
{
public:
    dispatcher(const server& srv, asio::any_io_executor ex, std::string peer, std::uint64_t id)
        : srv_(srv)
        , ex_(std::move(ex))
        , peer_(std::move(peer))
        , id_(id)
    {
    }

    std::shared_ptr<http2::stream_observer> on_request(http2::server_session& s, std::int32_t id,
                                                       http2::request_head&& head,
                                                       bool end_stream) override
    {
        const auto& opts = srv_.options();
        if (head.too_large)
        {
            answer_status(s, id,
                          status(status_code::resource_exhausted,
                                 "request header list larger than " +
                                     std::to_string(opts.http2.max_header_list_size) + " bytes"));
            return nullptr;
        }
        const std::string* ct = field(head, "content-type");
        if (!ct || !(ct->starts_with("application/grpc") &&
                     (ct->size() == 16 || (*ct)[16] == '+' || (*ct)[16] == ';')))
            return answer_http(s, id, end_stream, "415",
                               "unsupported content-type " + (ct ? *ct : std::string("(none)")) +
                                   ": this is a gRPC server; use application/grpc\n");
        if (head.method != "POST")
            return answer_http(s, id, end_stream, "405",
                               "gRPC requires POST; got " + head.method + "\n");
        const method_entry* m = srv_.find(head.path);
        if (!m)
        {
            answer_status(
                s, id, status(status_code::unimplemented, unknown_method_message(srv_, head.path)));
            return nullptr;
        }
        auto ctx = std::make_shared<server_context>(s, id, opts, ex_);
        if (auto refused = ctx->accept(head, end_stream, peer_, id_))
        {
            ctx->finish(*refused);
            return ctx->observer();
        }
        // Posted, so that the handler never starts inside an nghttp2 callback.
        // The handler slot counts the handler against the connection's quota until it
        // returns, even if its stream is reset earlier (http2::handler_slot).
        asio::post(ex_,
                   [ctx, m, &srv = srv_, ex = ex_, slot = s.start_handler()]() mutable
                   {
                       asio::co_spawn(
                           ex,
                           invoke(ctx, call_next(srv.call_stages(), m->handler), std::move(slot)),
                           asio::bind_cancellation_slot(ctx->cancellation_slot(),
                                                        [ctx](std::exception_ptr e)
                                                        {
                                                            if (e)
                                                                ctx->on_handler_exception(e);
                                                        }));
                   });
        return ctx->observer();
    }

private:
    // The call stages, then the handler; the slot is held until they return.
    static asio::awaitable<void> invoke(std::shared_ptr<server_context> ctx, call_next pipeline,
                                        http2::handler_slot slot)
    {
        if (ctx->finished())
            co_return;
        status s = co_await pipeline(*ctx);
        ctx->finish(s);
        slot.release(); // also released when the handler throws (the frame goes away)
    }

    const server& srv_;
    asio::any_io_executor ex_;
    std::string peer_;
    std::uint64_t id_;
};

} // namespace

std::unique_ptr<http2::dispatcher> make_dispatcher(const server& srv, asio::any_io_executor ex,
                                                   std::string peer, std::uint64_t id)
{
    return std::make_unique<dispatcher>(srv, std::move(ex), std::move(peer), id);
}
} // namespace rpcplugin::grpc::detail
