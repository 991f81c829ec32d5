#pragma once

/**
 * @file
 * A `logger::sink` that writes hclog-compatible JSON lines: the format a go-plugin host
 * parses on the plugin's stderr and re-logs under its own logger (Terraform's `TF_LOG`).
 */

#include "rpcplugin/log.hpp"

#include <chrono>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>

namespace rpcplugin::plugin
{
/**
 * Receives one complete record: a JSON object followed by `\n`, in a single call (so a
 * writer that issues one `write(2)` per call never interleaves records). The runtime points
 * it at the real stderr descriptor. It should not throw: the exception would escape from
 * `logger::log`.
 */
using hclog_writer = std::function<void(std::string_view line)>;

/** The time source of an hclog sink. Empty members use the defaults below. */
struct hclog_clock
{
    /** Current time; default `std::chrono::system_clock::now`. */
    std::function<std::chrono::system_clock::time_point()> now;

    /**
     * Offset of local time from UTC at the given instant (east positive), as hclog writes
     * local time; default `local_utc_offset`.
     */
    std::function<std::chrono::minutes(std::chrono::system_clock::time_point)> utc_offset;
};

/** The local time zone's offset from UTC at `t` (`localtime_r`'s `tm_gmtoff`), in minutes. */
std::chrono::minutes local_utc_offset(std::chrono::system_clock::time_point t);

/**
 * Formats `t` shifted by `utc_offset` with Go's layout `2006-01-02T15:04:05.000000Z07:00`
 * (hclog's `TimeFormatJSON`, which go-plugin's host parses back): exactly six fractional
 * digits (truncated, not rounded), then `Z` for a zero offset or `+hh:mm` / `-hh:mm`.
 * Example: `2024-03-05T14:07:09.012345+01:00`.
 */
std::string format_hclog_timestamp(std::chrono::system_clock::time_point t,
                                   std::chrono::minutes utc_offset);

/**
 * Formats one record as hclog's JSON writer does (a Go map through `encoding/json`): one
 * object with the keys in byte order, the values strings, then `\n`.
 *
 * - `@level` is `trace`, `debug`, `info`, `warn` or `error` (`log_level::off` gives `off`,
 *   which the sink never writes);
 * - `@message` is `message`; `@timestamp` is `timestamp` verbatim
 *   (see `format_hclog_timestamp`); `@module` is `module`, left out when empty (as hclog
 *   does for an unnamed logger);
 * - each field becomes a string member; a later field with the same key replaces an
 *   earlier one (hclog's map); a field named like one of the four reserved keys is written
 *   under the key prefixed with `_` (`_@message`), so it can never replace them (hclog would
 *   let it, and a non-string `@level` makes the host panic).
 *
 * Strings are escaped by `append_json_string` (control characters, invalid UTF-8).
 */
std::string format_hclog_line(log_level level, std::string_view module, std::string_view message,
                              std::initializer_list<log_field> fields, std::string_view timestamp);

/**
 * A sink that formats every record with `format_hclog_line`, stamped with `clock`, and
 * hands it to `writer` in one call. Records at `log_level::off` are dropped.
 *
 * @par Thread Safety
 * As thread-safe as `writer` and `clock` (the defaults are).
 */
logger::sink hclog_sink(hclog_writer writer, hclog_clock clock = {});
} // namespace rpcplugin::plugin
