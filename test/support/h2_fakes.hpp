#pragma once

/**
 * @file
 * A fake `http2::dispatcher` and `http2::stream_observer` that record what the session
 * tells them and answer as a test configures them.
 */

#include "rpcplugin/http2/server_session.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace rpcplugin::test
{
/** Records one stream's events; serves a response body from `body`. */
class fake_observer final : public http2::stream_observer
{
public:
    fake_observer(http2::server_session& session, std::int32_t id)
        : session_(session)
        , id_(id)
    {
    }

    // --- what the session delivered ------------------------------------------------------
    std::string data;
    int data_calls = 0;
    int end_stream_calls = 0;
    int close_calls = 0;
    /** The code of the last `on_close`; `never_closed` before. */
    static constexpr std::uint32_t never_closed = 0xdeadbeef;
    std::uint32_t close_code = never_closed;

    // --- how the observer behaves ----------------------------------------------------------
    /** Acknowledge received bytes at once (`consume`), as a handler that keeps up would. */
    bool auto_consume = true;
    /** The response body; `read_body` defers when it has been sent and `body_done` is false. */
    std::string body;
    bool body_done = true;
    std::vector<http2::header> trailers;
    bool throw_in_read = false;
    /** Runs inside `on_close` (it may call the session's stream API). */
    std::function<void(std::uint32_t)> close_hook;
    /** Runs inside `on_end_stream` (it may call the session's stream API). */
    std::function<void()> end_hook;
    int read_calls = 0;
    int trailer_calls = 0;

    std::int32_t id() const noexcept { return id_; }

    /** Adds response body bytes (and maybe the end) and tells the session. */
    void push(std::string_view more, bool done = false, std::vector<http2::header> t = {})
    {
        body.append(more);
        if (done)
        {
            body_done = true;
            trailers = std::move(t);
        }
        session_.resume(id_);
    }

    /** Bytes held (reported as buffered_bytes): those not auto-consumed; tests lower it. */
    std::size_t held = 0;

    void on_data(std::span<const unsigned char> d) override
    {
        ++data_calls;
        data.append(reinterpret_cast<const char*>(d.data()), d.size());
        if (auto_consume)
            session_.consume(id_, d.size());
        else
            held += d.size();
    }

    std::size_t buffered_bytes() const noexcept override { return held; }

    void on_end_stream() override
    {
        ++end_stream_calls;
        if (end_hook)
            end_hook();
    }

    void on_close(std::uint32_t error_code) override
    {
        ++close_calls;
        close_code = error_code;
        if (close_hook)
            close_hook(error_code);
    }

    std::size_t read_body(std::span<unsigned char> dst, bool& eof) override
    {
        ++read_calls;
        if (throw_in_read)
            throw std::runtime_error("fake_observer: read_body fails");
        std::size_t n = std::min(dst.size(), body.size() - offset_);
        std::memcpy(dst.data(), body.data() + offset_, n);
        offset_ += n;
        eof = body_done && offset_ == body.size();
        return n;
    }

    std::vector<http2::header> take_trailers() override
    {
        ++trailer_calls;
        return std::move(trailers);
    }

private:
    http2::server_session& session_;
    std::int32_t id_;
    std::size_t offset_ = 0;
};

/** Records requests and gives each a `fake_observer`; `answer` configures the response. */
class fake_dispatcher final : public http2::dispatcher
{
public:
    struct request
    {
        std::int32_t id = 0;
        http2::request_head head;
        bool end_stream = false;
        std::shared_ptr<fake_observer> observer;
    };

    std::vector<request> requests;

    /** Called for each request after its observer is made (the observer may be null). */
    std::function<void(http2::server_session&, request&)> answer;
    /** Return nullptr instead of an observer (the dispatcher answered itself). */
    bool null_observer = false;
    bool throw_on_request = false;

    std::shared_ptr<http2::stream_observer> on_request(http2::server_session& session,
                                                       std::int32_t id, http2::request_head&& head,
                                                       bool end_stream) override
    {
        if (throw_on_request)
            throw std::runtime_error("fake_dispatcher: on_request fails");
        request r;
        r.id = id;
        r.head = std::move(head);
        r.end_stream = end_stream;
        if (!null_observer)
            r.observer = std::make_shared<fake_observer>(session, id);
        requests.push_back(std::move(r));
        if (answer)
            answer(session, requests.back());
        return requests.back().observer;
    }

    /** The observer of stream `id`; throws when there is none. */
    fake_observer& observer(std::int32_t id)
    {
        for (auto& r : requests)
            if (r.id == id && r.observer)
                return *r.observer;
        throw std::out_of_range("fake_dispatcher: no observer for stream " + std::to_string(id));
    }
};

/** Responds 200 to stream `id` with `body` and `trailers`, served by `obs`. */
inline void respond_now(http2::server_session& s, std::int32_t id, fake_observer& obs,
                        const std::string& body, const std::vector<http2::header>& trailers)
{
    obs.body = body;
    obs.trailers = trailers;
    const http2::header headers[] = {{":status", "200"}, {"content-type", "application/grpc"}};
    if (auto ec = s.respond(id, headers, true))
        throw std::runtime_error("respond failed: " + ec.message());
}

/** An `answer` that responds 200 with a body and gRPC trailers at once. */
inline std::function<void(http2::server_session&, fake_dispatcher::request&)>
respond_with(std::string body, std::vector<http2::header> trailers = {{"grpc-status", "0"}})
{
    return [body = std::move(body), trailers = std::move(trailers)](http2::server_session& s,
                                                                    fake_dispatcher::request& r)
    { respond_now(s, r.id, *r.observer, body, trailers); };
}

/** An `answer` like `respond_with`, but only once the whole request has arrived. */
inline std::function<void(http2::server_session&, fake_dispatcher::request&)>
respond_at_end(std::string body, std::vector<http2::header> trailers = {{"grpc-status", "0"}})
{
    return [body = std::move(body), trailers = std::move(trailers)](http2::server_session& s,
                                                                    fake_dispatcher::request& r)
    {
        if (r.end_stream)
            return respond_now(s, r.id, *r.observer, body, trailers);
        // A raw pointer: the observer owns the hook.
        fake_observer* obs = r.observer.get();
        obs->end_hook = [&s, obs, body, trailers]
        { respond_now(s, obs->id(), *obs, body, trailers); };
    };
}
} // namespace rpcplugin::test
