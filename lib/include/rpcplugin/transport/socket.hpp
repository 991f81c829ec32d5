#pragma once

/**
 * @file
 * The connected-socket types of the transport module.
 */

#include "rpcplugin/asio.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <variant>

namespace rpcplugin::transport
{
/** A connected TCP socket. */
using tcp_socket = asio::ip::tcp::socket;
/** A connected Unix-domain stream socket. */
using unix_socket = asio::local::stream_protocol::socket;
/** A connected plaintext socket of either family. */
using socket = std::variant<tcp_socket, unix_socket>;
} // namespace rpcplugin::transport
