#include "rpcplugin/host/environment.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using rpcplugin::host::environment_options;
using rpcplugin::host::make_plugin_environment;

namespace
{
using env = std::vector<std::string>;
}

TEST_SUITE("host")
{
    TEST_CASE("the plugin environment is the host's plus go-plugin's variables, in order")
    {
        environment_options o;
        o.cookie_key = "RPCPLUGIN_KV_PLUGIN";
        o.cookie_value = "kv";
        o.protocol_versions = {6, 5};
        CHECK(make_plugin_environment({"PATH=/bin", "HOME=/root"}, o) ==
              env{"PATH=/bin", "HOME=/root", "RPCPLUGIN_KV_PLUGIN=kv", "PLUGIN_MIN_PORT=10000",
                  "PLUGIN_MAX_PORT=25000", "PLUGIN_PROTOCOL_VERSIONS=5,6"});
    }

    TEST_CASE("AutoMTLS and the socket directory add their variables")
    {
        environment_options o;
        o.protocol_versions = {1};
        o.min_port = 20000;
        o.max_port = 20010;
        o.client_cert_pem = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        o.unix_socket_dir = "/run/plugins";
        CHECK(make_plugin_environment({}, o) ==
              env{"PLUGIN_MIN_PORT=20000", "PLUGIN_MAX_PORT=20010", "PLUGIN_PROTOCOL_VERSIONS=1",
                  "PLUGIN_CLIENT_CERT=" + o.client_cert_pem,
                  "PLUGIN_UNIX_SOCKET_DIR=/run/plugins"});
    }

    TEST_CASE("inherited go-plugin variables and cookie never leak through")
    {
        environment_options o;
        o.cookie_key = "COOKIE";
        o.cookie_value = "new";
        o.protocol_versions = {1};
        auto e = make_plugin_environment({"COOKIE=old", "PLUGIN_CLIENT_CERT=stale",
                                          "PLUGIN_MULTIPLEX_GRPC=true", "PLUGIN_UNIX_SOCKET_DIR=/x",
                                          "KEEP=1", "NOEQUALS", "KEEP=2"},
                                         o);
        CHECK(e == env{"KEEP=2", "COOKIE=new", "PLUGIN_MIN_PORT=10000", "PLUGIN_MAX_PORT=25000",
                       "PLUGIN_PROTOCOL_VERSIONS=1"});
    }

    TEST_CASE("extra entries override inherited ones; skip_host_env starts empty")
    {
        environment_options o;
        o.protocol_versions = {1};
        o.extra = {"TF_LOG=trace", "PATH=/opt/bin", "bad"};
        auto e = make_plugin_environment({"PATH=/bin", "TF_LOG=info", "HOME=/h"}, o);
        CHECK(e == env{"HOME=/h", "TF_LOG=trace", "PATH=/opt/bin", "PLUGIN_MIN_PORT=10000",
                       "PLUGIN_MAX_PORT=25000", "PLUGIN_PROTOCOL_VERSIONS=1"});
        o.skip_host_env = true;
        e = make_plugin_environment({"PATH=/bin", "HOME=/h"}, o);
        CHECK(e == env{"TF_LOG=trace", "PATH=/opt/bin", "PLUGIN_MIN_PORT=10000",
                       "PLUGIN_MAX_PORT=25000", "PLUGIN_PROTOCOL_VERSIONS=1"});
    }
}
