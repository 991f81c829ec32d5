#pragma once

/**
 * @file
 * A client channel: one HTTP/2 connection to a gRPC server, many concurrent calls.
 */

#include "rpcplugin/asio.hpp"
#include "rpcplugin/grpc/channel_options.hpp"
#include "rpcplugin/grpc/client_call.hpp"
#include "rpcplugin/grpc/status.hpp"
#include "rpcplugin/http2/client_session.hpp"
#include "rpcplugin/transport/endpoint.hpp"

#include <boost/system/result.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace rpcplugin::grpc
{
/**
 * One connection to a server (`unix:PATH` or `HOST:PORT`, plaintext h2c or TLS with ALPN
 * h2), multiplexing any number of calls. When the connection fails or the server sends
 * GOAWAY, open calls end with UNAVAILABLE and new calls fail at once; connect a new
 * channel to go on (reconnection is left to the caller).
 *
 * @par Thread Safety
 * Not thread-safe: use the channel and its calls only from coroutines on its executor
 * (`get_executor()`, a strand made by `connect`).
 */
class channel : public std::enable_shared_from_this<channel>
{
public:
    /**
     * Connects to `target`, completes the TLS handshake when configured, and waits for the
     * server's SETTINGS. Fails with a transport error, `transport::errc::alpn_not_h2`,
     * `transport::errc::handshake_timeout`, or an nghttp2 error when the peer does not
     * speak HTTP/2.
     *
     * Cancellation: terminal cancellation aborts the connect.
     */
    static asio::awaitable<boost::system::result<std::shared_ptr<channel>>>
    connect(asio::any_io_executor ex, std::string_view target, const channel_options& opts);

    /** `connect` with default options. (An overload, not a default argument: g++ 12
        destroys a default-argument temporary of a co_await expression twice.) */
    static asio::awaitable<boost::system::result<std::shared_ptr<channel>>>
    connect(asio::any_io_executor ex, std::string_view target);

    ~channel();
    channel(const channel&) = delete;
    channel& operator=(const channel&) = delete;

    /** The strand every operation of this channel runs on. */
    asio::any_io_executor get_executor() const noexcept { return ex_; }
    /** The options the channel was made with. */
    const channel_options& options() const noexcept { return opts_; }

    /** Starts a call on `path` ("/package.Service/Method"). Never fails here: a call on a
        closed channel ends with UNAVAILABLE when read or finished. */
    std::shared_ptr<client_call> start_call(std::string path, call_options opts = {});

    /**
     * A unary call: writes `req`, reads one response into `resp`, returns the status.
     * A missing response with an OK status is INTERNAL.
     */
    asio::awaitable<status> unary(std::string path, const google::protobuf::MessageLite& req,
                                  google::protobuf::MessageLite& resp, call_options opts = {});

    /** True while new calls can start (connected, no GOAWAY, not closed). */
    bool is_open() const noexcept;
    /** Why the channel is no longer open (empty while open). */
    boost::system::error_code error() const noexcept { return error_; }
    /** Sends GOAWAY and closes the connection; open calls end with UNAVAILABLE. */
    void close();
    /** The negotiated ALPN ("h2" with TLS, empty for h2c). */
    const std::string& alpn() const noexcept { return alpn_; }
    /** Subject of the server certificate (TLS), else empty. */
    const std::string& peer_subject() const noexcept { return peer_subject_; }
    /** The TLS session: version, cipher, ALPN, server certificate (all empty for h2c). */
    const tls::session_info& tls_session() const noexcept { return tls_session_; }

    /** Internal. */
    channel(asio::any_io_executor ex, channel_options opts, std::string authority);

private:
    struct connection;
    static asio::awaitable<boost::system::result<std::shared_ptr<channel>>>
    connect_on_strand(std::shared_ptr<channel> ch, transport::endpoint ep);
    asio::awaitable<void> run(std::shared_ptr<connection> c);

    asio::any_io_executor ex_;
    channel_options opts_;
    std::string authority_;
    std::string scheme_;
    std::string alpn_;
    std::string peer_subject_;
    tls::session_info tls_session_;
    std::shared_ptr<connection> conn_;
    boost::system::error_code error_;
    bool closed_ = false;

    friend class client_call;
    std::vector<http2::header> request_headers(const std::string& path,
                                               const call_options& o) const;
    /** The request head of a call without timeout, metadata or compression, built once
        per method path (at most `max_cached_heads` paths). */
    const std::vector<http2::header>* cached_head(const std::string& path);
    static constexpr std::size_t max_cached_heads = 64;
    std::unordered_map<std::string, std::vector<http2::header>> heads_;
    http2::client_session* session() noexcept;
};
} // namespace rpcplugin::grpc
