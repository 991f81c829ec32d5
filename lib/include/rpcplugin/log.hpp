#pragma once

/**
 * @file
 * A minimal logging interface: a level and a sink. The plugin runtime installs a sink
 * that writes hclog-compatible JSON; the default sink writes plain lines to stderr.
 */

#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace rpcplugin
{
/** Severity of a log record, ordered from most to least verbose. */
enum class log_level
{
    trace,
    debug,
    info,
    warn,
    error,
    off,
};

/** The lower-case name of a level ("trace" ... "error", "off"). */
std::string_view to_string(log_level level) noexcept;

/** A key/value pair attached to a log record. */
using log_field = std::pair<std::string_view, std::string_view>;

/**
 * A logger: a minimum level and a sink that receives records at or above it.
 *
 * @par Thread Safety
 * Calls to `log` are as thread-safe as the sink; the default sink is (one `fwrite` per
 * record). Changing the level or sink while other threads log is not safe.
 */
class logger
{
public:
    /** Receives one record: level, module, message and extra fields. */
    using sink = std::function<void(log_level, std::string_view module, std::string_view message,
                                    std::initializer_list<log_field> fields)>;

    /** A logger at `info` writing plain text lines to stderr. */
    logger();

    /** A logger with the given minimum level and sink. */
    logger(log_level level, sink s);

    /** True when records at `level` are delivered. */
    bool enabled(log_level level) const noexcept
    {
        return level >= level_ && level_ != log_level::off;
    }

    /** Delivers a record if `level` is enabled. */
    void log(log_level level, std::string_view module, std::string_view message,
             std::initializer_list<log_field> fields = {}) const
    {
        if (enabled(level))
            sink_(level, module, message, fields);
    }

    /** The minimum level. */
    log_level level() const noexcept { return level_; }

    /** Sets the minimum level. */
    void set_level(log_level level) noexcept { level_ = level; }

    /** Replaces the sink. */
    void set_sink(sink s) { sink_ = std::move(s); }

private:
    log_level level_;
    sink sink_;
};

/** A sink writing `LEVEL module: message key=value ...` lines to stderr. */
logger::sink stderr_text_sink();
} // namespace rpcplugin
