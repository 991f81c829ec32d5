#pragma once

#include <rpcplugin/terraform/provider.hpp>

#include <string>

namespace rpcplugin::terraform
{

/// Options of serve(); the defaults suit a provider run by Terraform.
struct serve_options
{
    /// The provider's source address, the key of TF_REATTACH_PROVIDERS in debug mode
    /// (`registry.terraform.io/acme/localfs`).
    std::string registry_address;
    /// Debug mode (also `--debug` on the command line or PLUGIN_DEBUG=1): no cookie,
    /// plaintext on a Unix socket, prints TF_REATTACH_PROVIDERS and serves until SIGINT.
    bool debug = false;
    /// Largest request and response message (terraform-plugin-go's 256 MiB).
    std::size_t max_message_size = 256u << 20;
};

/**
 * Serves `p` as a Terraform provider: checks Terraform's magic cookie
 * (`TF_PLUGIN_MAGIC_COOKIE`), offers protocol versions 5 and 6 (tfplugin5.Provider and
 * tfplugin6.Provider are both registered; the host uses the negotiated one), AutoMTLS
 * when the host asks for it, 256 MiB messages. RPCs the kit does not implement answer
 * UNIMPLEMENTED. Blocks until the host shuts the provider down; returns the exit status.
 */
int serve(provider& p, int argc, char** argv, serve_options opts = {});

} // namespace rpcplugin::terraform
