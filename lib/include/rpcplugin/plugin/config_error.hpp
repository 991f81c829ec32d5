#pragma once

/**
 * @file
 * The error of the plugin configuration: which setting is wrong and why.
 */

#include <boost/assert/source_location.hpp>

#include <iosfwd>
#include <string>

namespace rpcplugin::plugin
{
/**
 * An invalid setting. Returned in `boost::system::result<T, config_error>` by the functions
 * that read the environment; the runtime prints `to_string()` on stderr and exits with 1.
 */
struct config_error
{
    /**
     * The environment variable at fault (`PLUGIN_MIN_PORT`), or, for a setting that only
     * code can give, the `config` member (`protocol_versions`).
     */
    std::string variable;
    /** What is wrong, one sentence without a trailing period, e.g. `"abc" is not a port number`. */
    std::string message;

    /** `variable + ": " + message`. */
    std::string to_string() const;

    /** Member-wise equality. */
    friend bool operator==(const config_error&, const config_error&) = default;
};

/** Writes `to_string()`. */
std::ostream& operator<<(std::ostream& os, const config_error& e);

/**
 * Called by `result<T, config_error>::value()` on an error: throws `std::invalid_argument`
 * with `e.to_string()`.
 */
[[noreturn]] void throw_exception_from_error(const config_error& e,
                                             const boost::source_location& loc);
} // namespace rpcplugin::plugin
