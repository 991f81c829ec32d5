#include "rpcplugin/grpc/status.hpp"

#include <ostream>
#include <utility>

namespace rpcplugin::grpc
{

std::string_view to_string(status_code code) noexcept
{
    switch (code)
    {
    case status_code::ok: return "OK";
    case status_code::cancelled: return "CANCELLED";
    case status_code::unknown: return "UNKNOWN";
    case status_code::invalid_argument: return "INVALID_ARGUMENT";
    case status_code::deadline_exceeded: return "DEADLINE_EXCEEDED";
    case status_code::not_found: return "NOT_FOUND";
    case status_code::already_exists: return "ALREADY_EXISTS";
    case status_code::permission_denied: return "PERMISSION_DENIED";
    case status_code::resource_exhausted: return "RESOURCE_EXHAUSTED";
    case status_code::failed_precondition: return "FAILED_PRECONDITION";
    case status_code::aborted: return "ABORTED";
    case status_code::out_of_range: return "OUT_OF_RANGE";
    case status_code::unimplemented: return "UNIMPLEMENTED";
    case status_code::internal: return "INTERNAL";
    case status_code::unavailable: return "UNAVAILABLE";
    case status_code::data_loss: return "DATA_LOSS";
    case status_code::unauthenticated: return "UNAUTHENTICATED";
    }
    return "UNKNOWN_CODE";
}

status_code status_code_from_int(long value) noexcept
{
    if (value < static_cast<long>(status_code::ok) ||
        value > static_cast<long>(status_code::unauthenticated))
    {
        return status_code::unknown;
    }
    return static_cast<status_code>(value);
}

std::ostream& operator<<(std::ostream& os, status_code code)
{
    return os << to_string(code);
}

status::status() noexcept = default;

status::status(status_code c, std::string message)
    : code_(c)
    , message_(std::move(message))
{
}

status_code status::code() const noexcept
{
    return code_;
}

const std::string& status::message() const noexcept
{
    return message_;
}

bool status::ok() const noexcept
{
    return code_ == status_code::ok;
}

bool operator==(const status& a, const status& b)
{
    return a.code() == b.code() && a.message() == b.message();
}

std::ostream& operator<<(std::ostream& os, const status& s)
{
    os << s.code();
    if (!s.message().empty())
    {
        os << ": " << s.message();
    }
    return os;
}

} // namespace rpcplugin::grpc
