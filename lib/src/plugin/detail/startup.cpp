#include "plugin/detail/startup.hpp"

#include "plugin/detail/self_check.hpp"
#include "rpcplugin/wire/certificate.hpp"
#include "rpcplugin/wire/json.hpp"

#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <grp.h>
#include <random>
#include <system_error>
#include <unistd.h>
#include <vector>

namespace rpcplugin::plugin::detail
{
namespace
{
constexpr std::string_view log_module = "rpcplugin.plugin";

wire::error error(std::string variable, std::string message)
{
    return wire::setting_error(std::move(variable), std::move(message));
}
} // namespace

std::string temp_dir()
{
    const char* t = std::getenv("TMPDIR");
    return t && *t ? t : "/tmp";
}

std::string random_socket_path(const std::string& dir)
{
    static thread_local std::mt19937_64 rng{std::random_device{}()};
    return dir + "/plugin" + std::to_string(rng() % 1000000000ull);
}

boost::system::result<tls_setup, wire::error> make_tls(const config& cfg)
{
    tls_setup out;
    if (!cfg.tls_enabled())
        return out;
    tls::server_config tc;
    std::string variable;
    if (!cfg.server_cert_pem.empty())
    {
        variable = "PLUGIN_SERVER_CERT";
        tc.certificate_chain_pem = cfg.server_cert_pem;
        tc.private_key_pem = cfg.server_key_pem;
        auto parsed = wire::parse_certificate_pem(cfg.server_cert_pem);
        if (!parsed)
            return error(variable, parsed.error().message);
        out.certificate_der = parsed->der;
    }
    else
    {
        variable = "PLUGIN_CLIENT_CERT";
        auto gen = wire::generate_certificate();
        if (!gen)
            return error(variable,
                         "cannot generate the AutoMTLS certificate: " + gen.error().message);
        tc.certificate_chain_pem = gen->certificate_pem;
        tc.private_key_pem = gen->private_key_pem;
        out.certificate_der = gen->certificate_der;
    }
    // The operator's roots apply to the operator's key pair; AutoMTLS trusts the host's
    // certificate alone, as go-plugin does.
    tc.client_roots_pem = !cfg.server_cert_pem.empty() && !cfg.client_root_certs_pem.empty()
                              ? cfg.client_root_certs_pem
                              : cfg.client_cert_pem;
    tc.require_client_certificate = !tc.client_roots_pem.empty();
    auto ctx = tls::make_server_context(tc);
    if (!ctx)
        return error(variable, "TLS setup failed: " + ctx.error().message());
    if (tc.require_client_certificate)
        accept_own_certificate(**ctx);
    out.server = *ctx;

    // Dialing the host's brokered servers: the host's certificate is the root.
    tls::client_config broker;
    broker.server_roots_pem = cfg.client_cert_pem;
    broker.certificate_chain_pem = tc.certificate_chain_pem;
    broker.private_key_pem = tc.private_key_pem;
    broker.server_name = "localhost";
    out.broker_client = broker;

    // The self-check presents the plugin's own key pair. It verifies a generated
    // certificate (self-signed, SAN localhost) as the root; an operator's leaf may need
    // intermediates and may not name localhost, so there the server is not verified (the
    // connection goes to the socket this process has just bound).
    tls::client_config self;
    self.certificate_chain_pem = tc.certificate_chain_pem;
    self.private_key_pem = tc.private_key_pem;
    if (cfg.server_cert_pem.empty())
    {
        self.server_roots_pem = tc.certificate_chain_pem;
        self.server_name = "localhost";
    }
    else
        self.insecure_skip_verify = true;
    out.self_client = self;
    return out;
}

boost::system::result<std::optional<gid_t>, wire::error> resolve_group(const std::string& group)
{
    constexpr std::string_view variable = "PLUGIN_UNIX_SOCKET_GROUP";
    if (group.empty())
        return std::optional<gid_t>{};
    if (group.find_first_not_of("0123456789") == std::string::npos)
    {
        std::uint32_t gid = 0;
        const auto [end, ec] = std::from_chars(group.data(), group.data() + group.size(), gid);
        if (ec != std::errc{} || end != group.data() + group.size() || gid == 0xffffffffu)
            return error(std::string(variable),
                         wire::json_string(group) + " is not a group id (0 to 4294967294)");
        return std::optional<gid_t>{static_cast<gid_t>(gid)};
    }
    std::vector<char> buf(16384);
    struct group g
    {
    };
    struct group* found = nullptr;
    int rc = 0;
    while ((rc = ::getgrnam_r(group.c_str(), &g, buf.data(), buf.size(), &found)) == ERANGE &&
           buf.size() < (1u << 20))
        buf.resize(buf.size() * 2);
    if (rc != 0)
        return error(std::string(variable), "cannot look up the group " + wire::json_string(group) +
                                                ": " + std::system_category().message(rc));
    if (!found)
        return error(std::string(variable), "there is no group named " + wire::json_string(group));
    return std::optional<gid_t>{found->gr_gid};
}

boost::system::result<main_listener>
open_main_listener(asio::any_io_executor ex, const config& cfg, const std::string& socket_dir,
                   const transport::listen_options& unix_options, const logger& log)
{
    boost::system::error_code last_error = asio::error::address_family_not_supported;
    for (auto kind : cfg.transports)
    {
        if (kind == transport_kind::unix_socket)
        {
            auto l = transport::listener::bind(
                ex, transport::unix_endpoint(random_socket_path(socket_dir)), unix_options);
            if (!l)
            {
                last_error = l.error();
                log.log(log_level::warn, log_module, "cannot listen on a unix socket",
                        {{"dir", socket_dir}, {"error", last_error.message()}});
                continue;
            }
            main_listener out;
            out.listener = std::make_unique<transport::listener>(std::move(*l));
            out.network = "unix";
            out.address = out.listener->local_endpoint().path;
            return out;
        }
        for (std::uint16_t port : port_candidates(cfg.ports))
        {
            auto l = transport::listener::bind(ex, transport::tcp_endpoint("127.0.0.1", port));
            if (!l)
            {
                last_error = l.error();
                continue;
            }
            main_listener out;
            out.listener = std::make_unique<transport::listener>(std::move(*l));
            out.network = "tcp";
            out.address = "127.0.0.1:" + std::to_string(out.listener->local_endpoint().port);
            return out;
        }
        log.log(log_level::warn, log_module, "no free TCP port in range",
                {{"min", std::to_string(cfg.ports.min)}, {"max", std::to_string(cfg.ports.max)}});
    }
    return last_error;
}
} // namespace rpcplugin::plugin::detail
