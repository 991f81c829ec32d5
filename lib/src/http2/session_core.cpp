#include "http2/detail/session_core.hpp"

#include "http2/detail/nv.hpp"
#include "rpcplugin/http2/error.hpp"

#include <new>

namespace rpcplugin::http2::detail
{
using boost::system::error_code;

namespace
{
struct option_deleter
{
    void operator()(nghttp2_option* o) const noexcept { nghttp2_option_del(o); }
};
} // namespace

session_core::session_core(asio::any_io_executor ex, role r, const settings& cfg,
                           const session_callbacks& callbacks, void* user)
    : callbacks_(callbacks)
    , write_signal_(std::move(ex))
{
    nghttp2_option* raw = nullptr;
    if (nghttp2_option_new(&raw) != 0)
        throw std::bad_alloc();
    std::unique_ptr<nghttp2_option, option_deleter> opt(raw);
    nghttp2_option_set_no_auto_window_update(raw, 1);
    nghttp2_option_set_max_continuations(raw, cfg.max_continuations);
    int rv = 0;
    if (r == role::server)
    {
        nghttp2_option_set_stream_reset_rate_limit(raw, cfg.reset_burst, cfg.reset_rate);
        rv = nghttp2_session_server_new2(&session_, callbacks.table, user, raw);
    }
    else
        rv = nghttp2_session_client_new2(&session_, callbacks.table, user, raw);
    if (rv != 0)
        throw std::bad_alloc();

    // A server advertises its stream quota; a client turns server push off.
    const nghttp2_settings_entry first =
        r == role::server ? nghttp2_settings_entry{NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS,
                                                   cfg.max_concurrent_streams}
                          : nghttp2_settings_entry{NGHTTP2_SETTINGS_ENABLE_PUSH, 0};
    const nghttp2_settings_entry entries[] = {
        first,
        {NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, cfg.max_header_list_size},
        {NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, cfg.stream_window},
    };
    nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, entries, std::size(entries));
    if (cfg.connection_window > NGHTTP2_INITIAL_CONNECTION_WINDOW_SIZE)
        nghttp2_session_set_local_window_size(session_, NGHTTP2_FLAG_NONE, 0,
                                              static_cast<int32_t>(cfg.connection_window));
}

session_core::~session_core()
{
    nghttp2_session_del(session_);
}

error_code session_core::feed(std::span<const unsigned char> bytes)
{
    ssize_t rv;
    {
        callback_guard guard(in_callback_);
        rv = nghttp2_session_mem_recv(session_, bytes.data(), bytes.size());
    }
    if (first_error_ || rv >= 0)
        return first_error_;
    // nghttp2's own limits and a bad client preface end the session without a GOAWAY;
    // say why (RFC 9113 section 3.4: a bad preface is a connection error PROTOCOL_ERROR).
    if (rv == NGHTTP2_ERR_FLOODED || rv == NGHTTP2_ERR_TOO_MANY_CONTINUATIONS)
        terminate(NGHTTP2_ENHANCE_YOUR_CALM);
    else if (rv == NGHTTP2_ERR_BAD_CLIENT_MAGIC)
        submit_goaway(NGHTTP2_PROTOCOL_ERROR, "invalid connection preface");
    first_error_ = make_nghttp2_error(static_cast<int>(rv));
    return first_error_;
}

error_code session_core::produce(std::vector<unsigned char>& out, std::size_t max)
{
    callback_guard guard(in_callback_);
    direct_data::binding direct(direct_, out, max);
    while (out.size() < max)
    {
        const uint8_t* data = nullptr;
        ssize_t n = nghttp2_session_mem_send(session_, &data);
        if (n < 0)
        {
            direct_.abandon();
            return first_error_ ? first_error_ : make_nghttp2_error(static_cast<int>(n));
        }
        if (n == 0)
            break;
        if (direct_.pending()) // a direct frame is always completed within one mem_send
        {
            fail(errc::internal);
            return first_error_;
        }
        out.insert(out.end(), data, data + n);
    }
    return first_error_;
}

int session_core::submit_response(std::int32_t id, std::span<const header> headers, bool with_body)
{
    nv_array nva(headers);
    nghttp2_data_provider provider{};
    provider.read_callback = callbacks_.read_body;
    return nghttp2_submit_response(session_, id, nva.data(), nva.size(),
                                   with_body ? &provider : nullptr);
}

std::int32_t session_core::submit_request(std::span<const header> headers, bool with_body,
                                          void* slot)
{
    nv_array nva(headers);
    nghttp2_data_provider provider{};
    provider.read_callback = callbacks_.read_body;
    return nghttp2_submit_request(session_, nullptr, nva.data(), nva.size(),
                                  with_body ? &provider : nullptr, slot);
}

bool session_core::submit_trailer(std::int32_t id, std::span<const header> trailers)
{
    nv_array nva(trailers);
    return nghttp2_submit_trailer(session_, id, nva.data(), nva.size()) == 0;
}

bool session_core::resume(std::int32_t id)
{
    return nghttp2_session_resume_data(session_, id) == 0;
}

void session_core::reset(std::int32_t id, std::uint32_t error_code)
{
    if (nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, error_code) == 0)
        notify_write();
}

void session_core::consume(std::int32_t id, std::size_t n)
{
    if (n == 0)
        return;
    if (nghttp2_session_consume(session_, id, n) != 0)
        nghttp2_session_consume_connection(session_, n);
    notify_write();
}

bool session_core::stream_open(std::int32_t id) const noexcept
{
    nghttp2_stream* s = nghttp2_session_find_stream(session_, id);
    if (!s)
        return false;
    auto state = nghttp2_stream_get_state(s);
    return state != NGHTTP2_STREAM_STATE_CLOSED && state != NGHTTP2_STREAM_STATE_IDLE;
}

void session_core::submit_goaway(std::uint32_t code, std::string_view debug)
{
    nghttp2_submit_goaway(session_, NGHTTP2_FLAG_NONE,
                          nghttp2_session_get_last_proc_stream_id(session_), code,
                          reinterpret_cast<const uint8_t*>(debug.data()), debug.size());
    notify_write();
}

void session_core::terminate(std::uint32_t code)
{
    nghttp2_session_terminate_session(session_, code);
    notify_write();
}

bool session_core::submit_ping(const std::uint8_t (&opaque)[8])
{
    return nghttp2_submit_ping(session_, NGHTTP2_FLAG_NONE, opaque) == 0;
}
} // namespace rpcplugin::http2::detail
