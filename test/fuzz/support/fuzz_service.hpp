#pragma once

/**
 * @file
 * The service the fuzz harnesses serve: grpc.testing.TestService's methods with the
 * interop semantics (so recorded interop traffic reaches real handlers), bounded so that
 * one input cannot allocate gigabytes or sleep (response sizes capped at 64 KiB, at most
 * 16 responses per request, `interval_us` ignored), plus a raw echo method. Every handler
 * is counted while it runs, so a harness can check that all of them ended.
 */

#include "rpcplugin/grpc/server.hpp"

#include <cstddef>

namespace rpcplugin::fuzz
{
/** Handlers currently running (incremented on entry, decremented when the frame ends). */
struct liveness
{
    std::size_t handlers = 0;
};

/** Largest response payload a fuzz handler builds. */
inline constexpr int max_response_size = 64 * 1024;

/** Registers the TestService methods and "/fuzz.Echo/Echo" (each request message echoed). */
void add_fuzz_service(grpc::server& srv, liveness& live);

/** Wraps `h` so that `live.handlers` counts its running coroutines. */
grpc::raw_handler counted(liveness& live, grpc::raw_handler h);
} // namespace rpcplugin::fuzz
