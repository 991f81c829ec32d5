#pragma once

/**
 * @file
 * Start-up time of a go-plugin plugin: from exec to the handshake line on its stdout.
 */

#include <string>
#include <vector>

namespace bench
{
struct startup_config
{
    /** The plugin's argv. */
    std::vector<std::string> command;
    /** Extra environment (`NAME=VALUE`), added to ours. */
    std::vector<std::string> env;
    unsigned runs = 10;
    /** CPU to pin the plugin to (-1: not pinned). */
    int cpu = -1;
    /** Seconds to wait for the handshake line. */
    double timeout = 10;
};

struct startup_result
{
    /** Seconds from just before exec to the handshake line, per run. */
    std::vector<double> seconds;
    /** The plugin's VmRSS (KiB) right after its handshake line, per run. */
    std::vector<long> rss_kib;
    /** The last handshake line seen. */
    std::string handshake;
    /** Set when a run failed (no handshake, bad line, spawn error). */
    std::string error;
};

/**
 * Runs the plugin `runs` times: spawns it with a pipe on stdout, times the first line,
 * checks it is a go-plugin handshake (`CORE|APP|unix|ADDR|grpc...` or tcp), reads its RSS,
 * then stops it with SIGTERM (SIGKILL after 5 s) and reaps it.
 */
startup_result measure_startup(const startup_config& cfg);

/** True when `line` has the go-plugin handshake form. */
bool is_handshake_line(const std::string& line);
} // namespace bench
