#pragma once

/**
 * @file
 * What one load run measures and what it yields: the workload, the phases (a warm-up,
 * then repetitions of a fixed duration or call count), and per-repetition results.
 */

#include "histogram.hpp"

#include <rpcplugin/tls/context.hpp>

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace bench
{
/** The shape of the load. */
enum class workload
{
    unary,         ///< Echo/Unary: one request of `size` bytes, the same back
    server_stream, ///< Echo/ServerStream: calls of `stream_messages` responses of `size` bytes
    bidi,          ///< Echo/Bidi: messages of `size` bytes echoed in a window of `bidi_window`
    raw_pingpong,  ///< raw socket: length-prefixed message of `size` bytes echoed back
    raw_bulk,      ///< raw socket: the server writes length-prefixed messages without pause
};

/** "unary", "server-stream", "bidi", "raw-pingpong", "raw-bulk". */
const char* to_string(workload w) noexcept;
/** Parses the names of `to_string`. */
std::optional<workload> parse_workload(const std::string& s) noexcept;

/** Everything a load run needs. */
struct load_config
{
    workload load = workload::unary;
    /** Payload bytes per message. */
    std::size_t size = 1024;
    /** Connections (channels), each carrying `streams` closed-loop workers. */
    unsigned connections = 1;
    unsigned streams = 1;
    /** `unix:PATH` or `HOST:PORT`. */
    std::string target;
    /** TLS client settings (gRPC workloads only). */
    std::optional<rpcplugin::tls::client_config> tls;
    /** Messages per ServerStream call (0: about 8 MiB per call, 1..10000 messages). */
    std::uint32_t stream_messages = 0;
    /** Bidi messages in flight per stream (0: about 1 MiB, 1..64 messages). */
    unsigned bidi_window = 0;
    /** Warm-up seconds (results discarded). */
    double warmup = 1.0;
    /** Seconds per repetition, unless `calls` is set. */
    double duration = 5.0;
    /** Calls (or messages, for streams) per repetition; 0: use `duration`. */
    std::uint64_t calls = 0;
    unsigned repetitions = 3;
    /** The server process whose CPU and memory are read from /proc (0: none). */
    pid_t server_pid = 0;
    /** In-process server thread whose CPU clock is read (set by the in-process mode). */
    std::optional<unsigned long> server_thread;
    /** Stop at the first error instead of counting on (for the smoke test). */
    bool stop_on_error = false;
};

/** One repetition. */
struct rep_result
{
    double seconds = 0;
    /** Completed calls (unary), messages received (streams), round trips (raw ping-pong). */
    std::uint64_t operations = 0;
    /** Calls that ended OK (streams: whole calls). */
    std::uint64_t calls = 0;
    /** Payload bytes received by the client. */
    std::uint64_t bytes = 0;
    std::uint64_t errors = 0;
    /** Per-operation latency in ns (unary: call; bidi: message round trip in the window;
        server-stream: whole call; raw ping-pong: round trip; raw bulk: none). */
    histogram latency;
    double client_cpu = 0;
    /** Negative when unknown. */
    double server_cpu = -1;
};

/** A whole run. */
struct load_result
{
    load_config config;
    std::vector<rep_result> reps;
    /** Server memory before the warm-up and its peak after the last repetition (KiB, -1 unknown).
     */
    long server_rss_start_kib = -1;
    long server_peak_kib = -1;
    long server_rss_end_kib = -1;
    /** Errors of the whole run: warm-up, repetitions and wind-down. */
    std::uint64_t errors = 0;
    /** The first few error messages. */
    std::vector<std::string> error_samples;
    /** True if the run could not start (connect failed...). */
    std::string fatal;
};

/** Runs a gRPC workload (unary, server_stream, bidi) with rpcplugin's client. */
load_result run_grpc_load(const load_config& cfg);

/** Runs a raw-socket workload (raw_pingpong, raw_bulk); `streams` must be 1. */
load_result run_raw_load(const load_config& cfg);

/** Either of the above, by `cfg.load`. */
load_result run_load(const load_config& cfg);
} // namespace bench
