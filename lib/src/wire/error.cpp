#include "rpcplugin/wire/error.hpp"

#include "detail/error_category.hpp"

#include <boost/throw_exception.hpp>

#include <ostream>

namespace rpcplugin::wire
{
namespace
{
// The name and message of each code, in one place.
struct errc_text
{
    std::string_view name;
    const char* message;
};

errc_text text_of(errc e) noexcept
{
    switch (e)
    {
    case errc::invalid_config: return {"invalid_config", "invalid host configuration"};
    case errc::spawn_failed: return {"spawn_failed", "the plugin could not be started"};
    case errc::plugin_exited: return {"plugin_exited", "plugin exited before we could connect"};
    case errc::start_timeout: return {"start_timeout", "timeout while waiting for plugin to start"};
    case errc::unrecognized_handshake:
        return {"unrecognized_handshake", "unrecognized remote plugin message"};
    case errc::core_version_mismatch:
        return {"core_version_mismatch", "incompatible core API version with plugin"};
    case errc::app_version_mismatch:
        return {"app_version_mismatch", "incompatible API version with plugin"};
    case errc::bad_address: return {"bad_address", "bad plugin address"};
    case errc::unsupported_protocol: return {"unsupported_protocol", "unsupported plugin protocol"};
    case errc::bad_server_certificate:
        return {"bad_server_certificate", "error parsing server cert"};
    case errc::missing_server_certificate:
        return {"missing_server_certificate",
                "AutoMTLS is on but the plugin sent no server certificate"};
    case errc::multiplex_unsupported:
        return {"multiplex_unsupported", "plugin does not support gRPC broker multiplexing"};
    case errc::tls_setup_failed: return {"tls_setup_failed", "cannot set up the host's TLS"};
    case errc::connect_failed: return {"connect_failed", "cannot connect to the plugin"};
    case errc::bad_reattach_config:
        return {"bad_reattach_config", "invalid reattach configuration"};
    case errc::shut_down: return {"shut_down", "the plugin client was shut down"};
    case errc::bad_certificate: return {"bad_certificate", "bad certificate or key"};
    case errc::bad_handshake_line:
        return {"bad_handshake_line", "the handshake line cannot be formatted"};
    }
    return {"unknown", "unknown rpcplugin.wire error"};
}

const char* describe(int ev) noexcept
{
    return text_of(static_cast<errc>(ev)).message;
}
} // namespace

std::string_view to_string(errc e) noexcept
{
    return text_of(e).name;
}

const boost::system::error_category& wire_category() noexcept
{
    static const detail::named_category c("rpcplugin.wire", describe);
    return c;
}

std::string error::to_string() const
{
    const std::string text = message.empty() ? code.message() : message;
    return variable.empty() ? text : variable + ": " + text;
}

error make_error(errc code, std::string message)
{
    return error{make_error_code(code), std::move(message), {}};
}

error setting_error(std::string variable, std::string message)
{
    return error{make_error_code(errc::invalid_config), std::move(message), std::move(variable)};
}

std::ostream& operator<<(std::ostream& os, const error& e)
{
    return os << e.to_string();
}

error_exception::error_exception(wire::error e)
    : boost::system::system_error(e.code)
    , error_(std::move(e))
    , text_(error_.to_string())
{
}

const char* error_exception::what() const noexcept
{
    return text_.c_str();
}

void throw_exception_from_error(const error& e, const boost::source_location& loc)
{
    boost::throw_exception(error_exception(e), loc);
}
} // namespace rpcplugin::wire
