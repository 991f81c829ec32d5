#pragma once

/**
 * @file
 * Results as text for people and as one JSON object for tools (bench/run.py).
 */

#include "load.hpp"
#include "startup.hpp"

#include <string>

namespace bench
{
/** Median-of-repetitions figures of a run. */
struct summary
{
    double ops_per_s = 0;
    double calls_per_s = 0;
    double mb_per_s = 0; ///< payload MB (10^6 bytes) per second received by the client
    double p50_us = 0, p90_us = 0, p99_us = 0, p999_us = 0, max_us = 0;
    double client_cpu_us_per_op = 0;
    double server_cpu_us_per_op = -1; ///< negative when unknown
};

summary summarize(const load_result& r);

/** Human-readable report of a load run. */
std::string to_text(const load_result& r);
/** One JSON object (no newline) for a load run. */
std::string to_json(const load_result& r, const std::string& label);

/** Human-readable report of start-up runs. */
std::string to_text(const startup_config& cfg, const startup_result& r);
/** One JSON object for start-up runs. */
std::string to_json(const startup_config& cfg, const startup_result& r, const std::string& label);

/** Median of `v` (the mean of the middle two for an even count); 0 when empty. */
double median(std::vector<double> v);
} // namespace bench
