#pragma once

#include <iosfwd>
#include <string>
#include <string_view>

namespace rpcplugin::grpc
{

/** The canonical gRPC status codes, with their wire values (`grpc-status`). */
enum class status_code : int
{
    /** Not an error; returned on success. */
    ok = 0,
    /** The operation was cancelled, typically by the caller. */
    cancelled = 1,
    /** Unknown error, for example a handler that threw. */
    unknown,
    /** The client specified an invalid argument. */
    invalid_argument,
    /** The deadline expired before the operation could complete. */
    deadline_exceeded,
    /** Some requested entity was not found. */
    not_found,
    /** The entity that a client attempted to create already exists. */
    already_exists,
    /** The caller does not have permission to execute the operation. */
    permission_denied,
    /** Some resource has been exhausted, such as a quota or the message size limit. */
    resource_exhausted,
    /** The system is not in a state required for the operation's execution. */
    failed_precondition,
    /** The operation was aborted, typically due to a concurrency issue. */
    aborted,
    /** The operation was attempted past the valid range. */
    out_of_range,
    /** The operation is not implemented or not supported. */
    unimplemented,
    /** Internal error: some invariant expected by the system has been broken. */
    internal,
    /** The service is currently unavailable; the client may retry. */
    unavailable,
    /** Unrecoverable data loss or corruption. */
    data_loss,
    /** The request does not have valid authentication credentials. */
    unauthenticated = 16,
};

/**
 * Returns the upper-case gRPC name of `code`, such as `"OK"` or `"DEADLINE_EXCEEDED"`.
 *
 * A value outside the canonical range gives `"UNKNOWN_CODE"`.
 */
std::string_view to_string(status_code code) noexcept;

/**
 * Maps a numeric `grpc-status` value onto a `status_code`.
 *
 * Values outside 0 to 16 map to `status_code::unknown`, as the gRPC specification asks.
 */
status_code status_code_from_int(long value) noexcept;

/** Writes `to_string(code)`. */
std::ostream& operator<<(std::ostream& os, status_code code);

/**
 * The outcome of a call: a code and a human-readable message.
 *
 * A status is a value, not an error: handlers return it, and the server sends it as the
 * `grpc-status` and `grpc-message` trailers.
 */
class status
{
public:
    /** Constructs an OK status with an empty message. */
    status() noexcept;

    /** Constructs a status with `c` and `message`. */
    status(status_code c, std::string message = {});

    /** Returns the status code. */
    status_code code() const noexcept;

    /** Returns the message; may be empty. Not yet percent-encoded. */
    const std::string& message() const noexcept;

    /** Returns true when `code() == status_code::ok`. */
    bool ok() const noexcept;

private:
    status_code code_ = status_code::ok;
    std::string message_;
};

/** Two statuses are equal when their codes and messages are equal. */
bool operator==(const status& a, const status& b);

/** Writes `CODE` or, with a message, `CODE: message`. */
std::ostream& operator<<(std::ostream& os, const status& s);

} // namespace rpcplugin::grpc
