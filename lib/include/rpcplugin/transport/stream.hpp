#pragma once

/**
 * @file
 * One stream type for the layers above: TCP or Unix socket, plaintext or TLS.
 */

#include "rpcplugin/asio.hpp"
#include "rpcplugin/transport/socket.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/system/error_code.hpp>

#include <string>
#include <utility>
#include <variant>

namespace rpcplugin::transport
{
/**
 * A connected byte stream: one of TCP, Unix socket, TLS over TCP, TLS over a Unix socket.
 * Models Asio's AsyncReadStream and AsyncWriteStream.
 *
 * @par Thread Safety
 * As Asio's sockets: one outstanding read and one outstanding write at a time, all on the
 * stream's executor.
 */
class stream
{
public:
    using tls_tcp = asio::ssl::stream<tcp_socket>;   ///< TLS over TCP.
    using tls_unix = asio::ssl::stream<unix_socket>; ///< TLS over a Unix socket.
    using executor_type = asio::any_io_executor;     ///< The executor of every operation.

    /** Wraps a plaintext socket. */
    explicit stream(socket s);
    /** Wraps a TLS stream over TCP whose handshake is done. */
    explicit stream(tls_tcp s);
    /** Wraps a TLS stream over a Unix socket whose handshake is done. */
    explicit stream(tls_unix s);

    /** Takes over the connection. */
    stream(stream&&) noexcept;
    /** Takes over `other`'s connection (the one held before is dropped). */
    stream& operator=(stream&&) noexcept;
    ~stream();

    /** The executor of the underlying socket. */
    executor_type get_executor() noexcept;

    /**
     * Reads some bytes. Completion signature: `void(error_code, std::size_t)`.
     * Cancellation: as the underlying socket or TLS stream.
     */
    template <class MutableBufferSequence, class CompletionToken>
    auto async_read_some(const MutableBufferSequence& buffers, CompletionToken&& token)
    {
        return asio::async_initiate<CompletionToken, void(boost::system::error_code, std::size_t)>(
            [this](auto handler, const MutableBufferSequence& b)
            { std::visit([&](auto& s) { s.async_read_some(b, std::move(handler)); }, v_); },
            token, buffers);
    }

    /**
     * Writes some bytes. Completion signature: `void(error_code, std::size_t)`.
     * Cancellation: as the underlying socket or TLS stream.
     */
    template <class ConstBufferSequence, class CompletionToken>
    auto async_write_some(const ConstBufferSequence& buffers, CompletionToken&& token)
    {
        return asio::async_initiate<CompletionToken, void(boost::system::error_code, std::size_t)>(
            [this](auto handler, const ConstBufferSequence& b)
            { std::visit([&](auto& s) { s.async_write_some(b, std::move(handler)); }, v_); },
            token, buffers);
    }

    /** True for the two TLS alternatives. */
    bool is_tls() const noexcept;

    /** True for the two Unix socket alternatives. */
    bool is_unix() const noexcept;

    /** The remote address as text: `ip:port`, or `unix:` for Unix sockets. */
    std::string remote_address() const;

    /** The native SSL handle, or nullptr for plaintext. */
    SSL* native_tls_handle() noexcept;

    /** Shuts both directions of the socket down (no TLS close_notify) and closes it. */
    void close() noexcept;

private:
    std::variant<tcp_socket, unix_socket, tls_tcp, tls_unix> v_;
};
} // namespace rpcplugin::transport
