#pragma once

/**
 * @file
 * A plugin's stderr line as go-plugin's host reads it: an hclog JSON record, a line
 * tagged `[LEVEL]`, or anything else (logged raw at debug). The pure core of the stderr
 * relay.
 */

#include "rpcplugin/log.hpp"

#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rpcplugin::host
{
/** One line of the plugin's stderr, understood. */
struct plugin_log_record
{
    /** The level: hclog's `@level`, the `[LEVEL]` tag, or debug. */
    log_level level = log_level::debug;
    /** hclog's `@message`; the line without its tag; or the raw line. */
    std::string message;
    /** hclog's `@module` (the plugin's logger name), else empty. */
    std::string module;
    /** hclog's `@timestamp`, verbatim, else empty. */
    std::string timestamp;
    /**
     * hclog's other keys, sorted by key. String values verbatim, numbers as hclog prints
     * the float64 go-plugin decodes them to (shortest decimal, no exponent: `5`, `0.25`),
     * booleans `true`/`false`, null `null`, arrays and objects as compact JSON.
     */
    std::vector<std::pair<std::string, std::string>> fields;
    /** True for an hclog JSON record. */
    bool structured = false;
    /** The line as read (without the line break). */
    std::string raw;

    /** `message key=value ...` (values with spaces or quotes are JSON-quoted). */
    std::string text() const;

    /** Member-wise equality. */
    friend bool operator==(const plugin_log_record&, const plugin_log_record&) = default;
};

/** Writes `level module: text()` (for test failures). */
std::ostream& operator<<(std::ostream& os, const plugin_log_record& r);

/**
 * True when `ts` has go-plugin's timestamp layout `2006-01-02T15:04:05.000000Z07:00`:
 * exactly six fractional digits, then `Z` or `+hh:mm`/`-hh:mm`, fields in range.
 */
bool is_hclog_timestamp(std::string_view ts) noexcept;

/**
 * Reads stderr lines one after another, as newest go-plugin hosts do (`logStderr`):
 *
 * - a JSON object with string `@level` (trace, debug, info, warn, error; any case) and
 *   `@message`, and, if present, a string `@timestamp` in hclog's layout, is a structured
 *   record; any other JSON (non-string `@level`/`@message`, which would make Go panic, an
 *   unknown level, a bad timestamp) is treated as a plain line;
 * - a plain line starting with `[TRACE]`, `[DEBUG]`, `[INFO]`, `[WARN]` or `[ERROR]` has
 *   that level, and the message is the rest without the tag and the spaces after it;
 * - a plain line starting with `panic: ` or `fatal error: ` is at error level and so is
 *   every untagged line after it (a Go panic's stack trace);
 * - any other line is at debug level, message = the line.
 *
 * @par Thread Safety
 * Not thread-safe (it keeps the panic state).
 */
class log_line_parser
{
public:
    /** Understands one line (without its line break). */
    plugin_log_record parse(std::string_view line);

    /** True once a `panic: ` or `fatal error: ` line was seen. */
    bool panicked() const noexcept { return panicked_; }

private:
    bool panicked_ = false;
};
} // namespace rpcplugin::host
