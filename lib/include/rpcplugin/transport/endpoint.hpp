#pragma once

/**
 * @file
 * Where a server listens or a client connects: a Unix socket path or a TCP host and port.
 */

#include <boost/system/result.hpp>

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

namespace rpcplugin::transport
{
/** A parsed endpoint. */
struct endpoint
{
    /** The address family. */
    enum class kind
    {
        local,
        tcp,
    };

    /** Unix-domain (`local`) or TCP. */
    kind family = kind::tcp;
    /** Socket path, for `local` (Unix-domain). */
    std::string path;
    /** Host name or literal address without brackets, for `tcp`. */
    std::string host;
    /** Port, for `tcp`; 0 asks the system for a free port when listening. */
    std::uint16_t port = 0;

    /** The endpoint in the form `parse_endpoint` accepts (`unix:PATH`, `HOST:PORT`, `[V6]:PORT`).
     */
    std::string to_string() const;

    /** Member-wise equality. */
    friend bool operator==(const endpoint&, const endpoint&) = default;
};

/** Prints `to_string()`. */
std::ostream& operator<<(std::ostream& os, const endpoint& ep);

/**
 * Parses `unix:PATH` (also `unix://PATH`), `HOST:PORT`, `[IPV6]:PORT`.
 * Fails with `errc::bad_endpoint` on anything else (empty path, missing or invalid port).
 */
boost::system::result<endpoint> parse_endpoint(std::string_view text);

/** An endpoint for a Unix socket path. */
endpoint unix_endpoint(std::string path);

/** An endpoint for a TCP host and port. */
endpoint tcp_endpoint(std::string host, std::uint16_t port);
} // namespace rpcplugin::transport
