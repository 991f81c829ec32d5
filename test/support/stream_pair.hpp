#pragma once

/**
 * @file
 * The usual start of a test that serves one connection without a listener: a connected
 * pair of Unix stream sockets, one end as the `transport::stream` under test, the other
 * raw for the test's peer.
 */

#include "rpcplugin/transport/stream.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/connect_pair.hpp>

#include <utility>

namespace rpcplugin::test
{
/** A connected socket pair on one io_context: `stream` (served) and `peer` (raw). */
struct stream_pair
{
    /** The served end. */
    transport::stream stream;
    /** The test's end. */
    transport::unix_socket peer;
};

/** Connects a new socket pair on `io`. */
inline stream_pair connect_stream_pair(boost::asio::io_context& io)
{
    transport::unix_socket a(io);
    transport::unix_socket b(io);
    boost::asio::local::connect_pair(a, b);
    return stream_pair{transport::stream(transport::socket(std::move(a))), std::move(b)};
}
} // namespace rpcplugin::test
