#pragma once

/**
 * @file
 * Blocking socket helpers for the raw baseline (client and server): connect to a
 * `unix:PATH` or `HOST:PORT` target, read and write whole buffers.
 */

#include <cstddef>
#include <string>

namespace bench
{
/** Connects (TCP_NODELAY for TCP); returns the fd, or -1 with `error` set. */
int connect_to(const std::string& target, std::string& error);
/** Writes all of `data`; false on error or EOF. */
bool write_all(int fd, const void* data, std::size_t n) noexcept;
/** Reads exactly `n` bytes; false on error or EOF. */
bool read_all(int fd, void* data, std::size_t n) noexcept;
} // namespace bench
