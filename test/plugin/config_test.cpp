#include "rpcplugin/plugin/config.hpp"

#include "rpcplugin/wire/certificate.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <boost/system/errc.hpp>

#include <cstdlib>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>

namespace plugin = rpcplugin::plugin;
using rpcplugin::log_level;

using namespace std::chrono_literals;

namespace
{
using env_map = std::map<std::string, std::string, std::less<>>;

plugin::env_lookup env_of(env_map vars)
{
    return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string>
    {
        if (auto it = vars.find(name); it != vars.end())
            return it->second;
        return std::nullopt;
    };
}

// A file system of a few files; anything else is ENOENT.
plugin::file_reader files_of(std::map<std::string, std::string> files)
{
    return [files = std::move(files)](const std::string& path) -> boost::system::result<std::string>
    {
        if (auto it = files.find(path); it != files.end())
            return it->second;
        return boost::system::errc::make_error_code(boost::system::errc::no_such_file_or_directory);
    };
}

plugin::config loaded(env_map env, const plugin::config& defaults = {},
                      std::map<std::string, std::string> files = {})
{
    auto r = plugin::load_config(defaults, env_of(std::move(env)), files_of(std::move(files)));
    REQUIRE_MESSAGE(r.has_value(), r.error());
    return *r;
}

rpcplugin::wire::error refused(env_map env, const plugin::config& defaults = {},
                               std::map<std::string, std::string> files = {})
{
    auto r = plugin::load_config(defaults, env_of(std::move(env)), files_of(std::move(files)));
    REQUIRE(r.has_error());
    return r.error();
}

const rpcplugin::wire::generated_certificate& cert_a()
{
    static const auto c = *rpcplugin::wire::generate_certificate();
    return c;
}

const rpcplugin::wire::generated_certificate& cert_b()
{
    static const auto c = *rpcplugin::wire::generate_certificate();
    return c;
}
} // namespace

TEST_SUITE("plugin")
{
    TEST_CASE("config defaults are the documented ones")
    {
        const plugin::config c;
        CHECK(c.magic_cookie_key.empty());
        CHECK(c.magic_cookie_value.empty());
        CHECK(c.protocol_versions == std::set<int>{1});
        CHECK(c.host_protocol_versions.empty());
        CHECK(c.transports ==
              std::vector{plugin::transport_kind::unix_socket, plugin::transport_kind::tcp});
        CHECK(c.ports == plugin::port_range{0, 0});
        CHECK(c.unix_socket_dir.empty());
        CHECK(c.unix_socket_group.empty());
        CHECK_FALSE(c.multiplex_grpc_requested);
        CHECK(c.client_cert_pem.empty());
        CHECK(c.server_cert_pem.empty());
        CHECK(c.server_key_pem.empty());
        CHECK(c.client_root_certs_pem.empty());
        CHECK(c.health_enabled);
        CHECK_FALSE(c.rate_limit_enabled);
        CHECK(c.rate_limit_requests_per_second == 100.0);
        CHECK(c.rate_limit_burst_capacity == 200);
        CHECK(c.shutdown_file_path.empty());
        CHECK(c.grace_period == 500ms);
        CHECK(c.log_level == log_level::info);
        CHECK_FALSE(c.tls_enabled());
        CHECK(c.capture_stdio);
        CHECK(c.stdio_buffer_limit == 1024 * 1024);
        CHECK_FALSE(c.debug);
        CHECK(c.reattach_name.empty());
        CHECK(c.reattach_variable == "TF_REATTACH_PROVIDERS");
    }

    TEST_CASE("load_config reads the stdio and debug-mode variables")
    {
        const auto c = loaded({{"PLUGIN_CAPTURE_STDIO", "off"},
                               {"PLUGIN_DEBUG", "TRUE"},
                               {"PLUGIN_REATTACH_NAME", "registry.terraform.io/acme/kv"}});
        CHECK_FALSE(c.capture_stdio);
        CHECK(c.debug);
        CHECK(c.reattach_name == "registry.terraform.io/acme/kv");

        plugin::config defaults;
        defaults.capture_stdio = false;
        defaults.debug = true;
        const auto d = loaded({{"PLUGIN_CAPTURE_STDIO", "1"}, {"PLUGIN_DEBUG", "no"}}, defaults);
        CHECK(d.capture_stdio);
        CHECK_FALSE(d.debug);
    }

    TEST_CASE("validate_config wants a stdio buffer of at least one byte")
    {
        plugin::config c;
        c.stdio_buffer_limit = 0;
        const auto r = plugin::validate_config(c);
        REQUIRE(r.has_error());
        CHECK(r.error().variable == "stdio_buffer_limit");
    }

    TEST_CASE("load_config without variables returns the code's settings")
    {
        plugin::config defaults;
        defaults.magic_cookie_key = "TF_PLUGIN_MAGIC_COOKIE";
        defaults.magic_cookie_value = "d602";
        defaults.protocol_versions = {5, 6};
        defaults.grace_period = 1s;
        const auto c = loaded({}, defaults);
        CHECK(c.magic_cookie_key == "TF_PLUGIN_MAGIC_COOKIE");
        CHECK(c.magic_cookie_value == "d602");
        CHECK(c.protocol_versions == std::set<int>{5, 6});
        CHECK(c.grace_period == 1s);
    }

    TEST_CASE("load_config reads go-plugin's variables")
    {
        const auto c = loaded({{"PLUGIN_PROTOCOL_VERSIONS", "6,5"},
                               {"PLUGIN_MIN_PORT", "10000"},
                               {"PLUGIN_MAX_PORT", "25000"},
                               {"PLUGIN_CLIENT_CERT", cert_a().certificate_pem},
                               {"PLUGIN_UNIX_SOCKET_DIR", "/run/plugin-dir123"},
                               {"PLUGIN_UNIX_SOCKET_GROUP", "terraform"},
                               {"PLUGIN_MULTIPLEX_GRPC", "true"}});
        CHECK(c.host_protocol_versions == std::set<int>{5, 6});
        CHECK(c.ports == plugin::port_range{10000, 25000});
        CHECK(c.client_cert_pem == cert_a().certificate_pem);
        CHECK(c.unix_socket_dir == "/run/plugin-dir123");
        CHECK(c.unix_socket_group == "terraform");
        CHECK(c.multiplex_grpc_requested);
        CHECK(c.tls_enabled());
    }

    TEST_CASE("load_config treats any non-empty PLUGIN_MULTIPLEX_GRPC as set, as go-plugin does")
    {
        CHECK(loaded({{"PLUGIN_MULTIPLEX_GRPC", "false"}}).multiplex_grpc_requested);
        CHECK(loaded({{"PLUGIN_MULTIPLEX_GRPC", "x"}}).multiplex_grpc_requested);
        CHECK_FALSE(loaded({{"PLUGIN_MULTIPLEX_GRPC", ""}}).multiplex_grpc_requested);
    }

    TEST_CASE("load_config reads the operator's variables")
    {
        const auto c = loaded(
            {{"PLUGIN_MAGIC_COOKIE_KEY", "MY_COOKIE"},
             {"PLUGIN_MAGIC_COOKIE_VALUE", "secret"},
             {"PLUGIN_SERVER_TRANSPORTS", "tcp,unix"},
             {"PLUGIN_SERVER_CERT", cert_a().certificate_pem},
             {"PLUGIN_SERVER_KEY", cert_a().private_key_pem},
             {"PLUGIN_CLIENT_ROOT_CERTS", cert_a().certificate_pem + cert_b().certificate_pem},
             {"PLUGIN_HEALTH_SERVICE_ENABLED", "no"},
             {"PLUGIN_RATE_LIMIT_ENABLED", "ON"},
             {"PLUGIN_RATE_LIMIT_REQUESTS_PER_SECOND", "2.5"},
             {"PLUGIN_RATE_LIMIT_BURST_CAPACITY", "7"},
             {"PLUGIN_SHUTDOWN_FILE_PATH", "/tmp/stop-plugin"},
             {"PLUGIN_GRPC_GRACE_PERIOD", "1.25"},
             {"PLUGIN_LOG_LEVEL", "DEBUG"}});
        CHECK(c.magic_cookie_key == "MY_COOKIE");
        CHECK(c.magic_cookie_value == "secret");
        CHECK(c.transports ==
              std::vector{plugin::transport_kind::tcp, plugin::transport_kind::unix_socket});
        CHECK(c.server_cert_pem == cert_a().certificate_pem);
        CHECK(c.server_key_pem == cert_a().private_key_pem);
        CHECK(c.client_root_certs_pem == cert_a().certificate_pem + cert_b().certificate_pem);
        CHECK_FALSE(c.health_enabled);
        CHECK(c.rate_limit_enabled);
        CHECK(c.rate_limit_requests_per_second == 2.5);
        CHECK(c.rate_limit_burst_capacity == 7);
        CHECK(c.shutdown_file_path == "/tmp/stop-plugin");
        CHECK(c.grace_period == 1250ms);
        CHECK(c.log_level == log_level::debug);
        CHECK(c.tls_enabled());
    }

    TEST_CASE("load_config ignores empty variables")
    {
        plugin::config defaults;
        defaults.log_level = log_level::warn;
        defaults.health_enabled = false;
        const auto c = loaded({{"PLUGIN_LOG_LEVEL", ""},
                               {"PLUGIN_HEALTH_SERVICE_ENABLED", ""},
                               {"PLUGIN_MIN_PORT", ""},
                               {"PLUGIN_MAX_PORT", ""},
                               {"PLUGIN_PROTOCOL_VERSIONS", ""}},
                              defaults);
        CHECK(c.log_level == log_level::warn);
        CHECK_FALSE(c.health_enabled);
        CHECK(c.ports == plugin::port_range{});
        CHECK(c.host_protocol_versions.empty());
    }

    TEST_CASE("load_config keeps the code's port range unless a port variable is set")
    {
        plugin::config defaults;
        defaults.ports = {30000, 30010};
        CHECK(loaded({}, defaults).ports == plugin::port_range{30000, 30010});
        CHECK(loaded({{"PLUGIN_MIN_PORT", "40000"}}, defaults).ports ==
              plugin::port_range{40000, 65535});
    }

    TEST_CASE("load_config reads file:// values through the injected reader")
    {
        const auto c = loaded({{"PLUGIN_SERVER_CERT", "file:///etc/p/cert.pem"},
                               {"PLUGIN_SERVER_KEY", "file:///etc/p/key.pem"},
                               {"PLUGIN_LOG_LEVEL", "file://level.txt"},
                               {"PLUGIN_RATE_LIMIT_BURST_CAPACITY", "file:///etc/p/burst"}},
                              {},
                              {{"/etc/p/cert.pem", cert_a().certificate_pem},
                               {"/etc/p/key.pem", cert_a().private_key_pem},
                               {"level.txt", "  trace\n"},
                               {"/etc/p/burst", "42\n"}});
        CHECK(c.server_cert_pem == cert_a().certificate_pem); // PEM kept as is
        CHECK(c.server_key_pem == cert_a().private_key_pem);
        CHECK(c.log_level == log_level::trace); // text trimmed
        CHECK(c.rate_limit_burst_capacity == 42);
    }

    TEST_CASE("load_config names the variable whose file cannot be read")
    {
        const auto missing = refused({{"PLUGIN_SERVER_CERT", "file:///nope.pem"}});
        CHECK(missing.variable == "PLUGIN_SERVER_CERT");
        CHECK(missing.message == "cannot read \"/nope.pem\": No such file or directory");
        const auto no_path = refused({{"PLUGIN_CLIENT_ROOT_CERTS", "file://"}});
        CHECK(no_path.variable == "PLUGIN_CLIENT_ROOT_CERTS");
        CHECK(no_path.message == "\"file://\" needs a path, as in file:///etc/plugin/value");
        const auto empty = refused({{"PLUGIN_LOG_LEVEL", "file:///e"}}, {}, {{"/e", " \n"}});
        CHECK(empty.variable == "PLUGIN_LOG_LEVEL");
        CHECK(empty.message == "the file \"/e\" is empty");
    }

    TEST_CASE("load_config refuses garbage in PLUGIN_PROTOCOL_VERSIONS")
    {
        const auto e = refused({{"PLUGIN_PROTOCOL_VERSIONS", "5,six"}});
        CHECK(e.variable == "PLUGIN_PROTOCOL_VERSIONS");
        CHECK(e.to_string() == R"(PLUGIN_PROTOCOL_VERSIONS: "5,six": "six" is not a protocol )"
                               R"(version (a non-negative integer))");
    }

    TEST_CASE("load_config refuses bad ports")
    {
        CHECK(refused({{"PLUGIN_MIN_PORT", "x"}, {"PLUGIN_MAX_PORT", "10"}}).variable ==
              "PLUGIN_MIN_PORT");
        CHECK(refused({{"PLUGIN_MIN_PORT", "1"}, {"PLUGIN_MAX_PORT", "70000"}}).variable ==
              "PLUGIN_MAX_PORT");
        const auto e = refused({{"PLUGIN_MIN_PORT", "25000"}, {"PLUGIN_MAX_PORT", "10000"}});
        CHECK(e.to_string() ==
              "PLUGIN_MIN_PORT: value of 25000 is greater than PLUGIN_MAX_PORT value of 10000");
    }

    TEST_CASE("load_config refuses bad transports")
    {
        CHECK(loaded({{"PLUGIN_SERVER_TRANSPORTS", " TCP "}}).transports ==
              std::vector{plugin::transport_kind::tcp});
        const auto unknown = refused({{"PLUGIN_SERVER_TRANSPORTS", "unix,udp"}});
        CHECK(unknown.variable == "PLUGIN_SERVER_TRANSPORTS");
        CHECK(unknown.message == R"("unix,udp": "udp" is not a transport (expected unix, tcp or )"
                                 R"(both, comma-separated, in order of preference))");
        CHECK(refused({{"PLUGIN_SERVER_TRANSPORTS", "unix,"}}).message.find(R"("" is not)") !=
              std::string::npos);
        CHECK(refused({{"PLUGIN_SERVER_TRANSPORTS", "unix,UNIX"}}).message ==
              R"("unix,UNIX" lists "unix" twice)");
    }

    TEST_CASE("load_config refuses bad booleans, naming the variable")
    {
        for (const char* variable : {"PLUGIN_HEALTH_SERVICE_ENABLED", "PLUGIN_RATE_LIMIT_ENABLED",
                                     "PLUGIN_CAPTURE_STDIO", "PLUGIN_DEBUG"})
        {
            CAPTURE(variable);
            const auto e = refused({{variable, "maybe"}});
            CHECK(e.variable == variable);
            CHECK(e.message == R"("maybe" is not a boolean (true/false, yes/no, 1/0, on/off))");
        }
    }

    TEST_CASE("load_config refuses bad rate limits")
    {
        for (const char* bad : {"0", "-1", "abc", "inf", "nan", "1e999", "2.5x", " 1"})
        {
            CAPTURE(bad);
            const auto e = refused({{"PLUGIN_RATE_LIMIT_REQUESTS_PER_SECOND", bad}});
            CHECK(e.variable == "PLUGIN_RATE_LIMIT_REQUESTS_PER_SECOND");
            CHECK(e.message == "\"" + std::string(bad) + "\" is not a positive decimal number");
        }
        for (const char* bad : {"0", "-1", "1.5", "1000000001", "99999999999999999999999", "x"})
        {
            CAPTURE(bad);
            const auto e = refused({{"PLUGIN_RATE_LIMIT_BURST_CAPACITY", bad}});
            CHECK(e.variable == "PLUGIN_RATE_LIMIT_BURST_CAPACITY");
            CHECK(e.message ==
                  "\"" + std::string(bad) + "\" is not an integer from 1 to 1000000000");
        }
        CHECK(loaded({{"PLUGIN_RATE_LIMIT_BURST_CAPACITY", "1000000000"}})
                  .rate_limit_burst_capacity == 1'000'000'000);
    }

    TEST_CASE("load_config reads and bounds the grace period")
    {
        CHECK(loaded({{"PLUGIN_GRPC_GRACE_PERIOD", "0"}}).grace_period == 0ms);
        CHECK(loaded({{"PLUGIN_GRPC_GRACE_PERIOD", "2"}}).grace_period == 2s);
        CHECK(loaded({{"PLUGIN_GRPC_GRACE_PERIOD", "3600"}}).grace_period == 3600s);
        for (const char* bad : {"-1", "3601", "1s", "x", "nan", "inf"})
        {
            CAPTURE(bad);
            const auto e = refused({{"PLUGIN_GRPC_GRACE_PERIOD", bad}});
            CHECK(e.variable == "PLUGIN_GRPC_GRACE_PERIOD");
            CHECK(e.message ==
                  "\"" + std::string(bad) + "\" is not a number of seconds from 0 to 3600");
        }
    }

    TEST_CASE("load_config reads log levels by name")
    {
        const std::pair<const char*, log_level> names[] = {
            {"trace", log_level::trace},    {"DEBUG", log_level::debug},
            {"Info", log_level::info},      {"warn", log_level::warn},
            {"WARNING", log_level::warn},   {"error", log_level::error},
            {"CRITICAL", log_level::error}, {"off", log_level::off}};
        for (const auto& [name, level] : names)
        {
            CAPTURE(name);
            CHECK(loaded({{"PLUGIN_LOG_LEVEL", name}}).log_level == level);
        }
        const auto e = refused({{"PLUGIN_LOG_LEVEL", "verbose"}});
        CHECK(e.to_string() == R"(PLUGIN_LOG_LEVEL: "verbose" is not a log level (trace, debug, )"
                               R"(info, warn, error or off))");
        CHECK_FALSE(plugin::parse_log_level("informational"));
    }

    TEST_CASE("parse_bool accepts the documented spellings only")
    {
        for (const char* t : {"true", "TRUE", "yes", "Yes", "1", "on", "ON"})
            CHECK(plugin::parse_bool(t) == true);
        for (const char* f : {"false", "False", "no", "NO", "0", "off", "Off"})
            CHECK(plugin::parse_bool(f) == false);
        for (const char* bad : {"", "t", "y", "2", "truee", "enabled", " true"})
            CHECK_FALSE(plugin::parse_bool(bad).has_value());
    }

    TEST_CASE("load_config refuses an invalid PLUGIN_CLIENT_CERT")
    {
        const auto e = refused({{"PLUGIN_CLIENT_CERT", "not a certificate"}});
        CHECK(e.variable == "PLUGIN_CLIENT_CERT");
        CHECK(e.message ==
              "no PEM certificate found (expected a \"-----BEGIN CERTIFICATE-----\" block)");
        const auto broken =
            refused({{"PLUGIN_CLIENT_CERT",
                      "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"}});
        CHECK(broken.variable == "PLUGIN_CLIENT_CERT");
        CHECK(broken.message.starts_with("malformed PEM certificate"));
        CHECK(refused({{"PLUGIN_CLIENT_ROOT_CERTS", "junk"}}).variable ==
              "PLUGIN_CLIENT_ROOT_CERTS");
    }

    TEST_CASE("load_config wants PLUGIN_SERVER_CERT and PLUGIN_SERVER_KEY together and matching")
    {
        const auto no_key = refused({{"PLUGIN_SERVER_CERT", cert_a().certificate_pem}});
        CHECK(no_key.to_string() ==
              "PLUGIN_SERVER_KEY: must be set together with PLUGIN_SERVER_CERT");
        const auto no_cert = refused({{"PLUGIN_SERVER_KEY", cert_a().private_key_pem}});
        CHECK(no_cert.to_string() ==
              "PLUGIN_SERVER_CERT: must be set together with PLUGIN_SERVER_KEY");
        const auto bad_cert = refused(
            {{"PLUGIN_SERVER_CERT", "junk"}, {"PLUGIN_SERVER_KEY", cert_a().private_key_pem}});
        CHECK(bad_cert.variable == "PLUGIN_SERVER_CERT");
        const auto bad_key = refused(
            {{"PLUGIN_SERVER_CERT", cert_a().certificate_pem}, {"PLUGIN_SERVER_KEY", "junk"}});
        CHECK(bad_key.variable == "PLUGIN_SERVER_KEY");
        CHECK(bad_key.message.starts_with("no PEM private key found"));
        const auto mismatch = refused({{"PLUGIN_SERVER_CERT", cert_a().certificate_pem},
                                       {"PLUGIN_SERVER_KEY", cert_b().private_key_pem}});
        CHECK(mismatch.to_string() == "PLUGIN_SERVER_KEY: the private key does not belong to the "
                                      "certificate (the first one in PLUGIN_SERVER_CERT)");
        // A chain: the key belongs to the first certificate.
        CHECK(loaded({{"PLUGIN_SERVER_CERT", cert_a().certificate_pem + cert_b().certificate_pem},
                      {"PLUGIN_SERVER_KEY", cert_a().private_key_pem}})
                  .tls_enabled());
    }

    TEST_CASE("load_config never quotes PEM or key material back")
    {
        const auto e = refused({{"PLUGIN_SERVER_CERT", cert_a().certificate_pem},
                                {"PLUGIN_SERVER_KEY", cert_b().private_key_pem}});
        CHECK(e.message.find("BEGIN") == std::string::npos);
    }

    TEST_CASE("load_config refuses a socket dir that would break the handshake line")
    {
        const auto e = refused({{"PLUGIN_UNIX_SOCKET_DIR", "/tmp/a|b"}});
        CHECK(e.to_string() == R"(PLUGIN_UNIX_SOCKET_DIR: "/tmp/a|b" contains '|' or a line )"
                               R"(break, which cannot go into the handshake line)");
        CHECK(refused({{"PLUGIN_UNIX_SOCKET_DIR", "/tmp/a\nb"}}).variable ==
              "PLUGIN_UNIX_SOCKET_DIR");
    }

    TEST_CASE("load_config refuses a cookie key that is not a variable name")
    {
        const auto e = refused({{"PLUGIN_MAGIC_COOKIE_KEY", "A=B"}});
        CHECK(e.to_string() ==
              R"(PLUGIN_MAGIC_COOKIE_KEY: "A=B" is not a variable name (it contains '='))");
    }

    TEST_CASE("validate_config checks settings that only code gives")
    {
        plugin::config c;
        CHECK(plugin::validate_config(c).has_value());

        c.protocol_versions.clear();
        CHECK(plugin::validate_config(c).error() ==
              rpcplugin::wire::setting_error("protocol_versions",
                                             "the plugin serves no protocol version"));
        c.protocol_versions = {-1, 5};
        CHECK(
            plugin::validate_config(c).error() ==
            rpcplugin::wire::setting_error("protocol_versions", "protocol version -1 is negative"));
        c = {};
        c.host_protocol_versions = {-2};
        CHECK(plugin::validate_config(c).error().variable == "PLUGIN_PROTOCOL_VERSIONS");
        c = {};
        c.transports.clear();
        CHECK(
            plugin::validate_config(c).error() ==
            rpcplugin::wire::setting_error("PLUGIN_SERVER_TRANSPORTS", "no transport is enabled"));
        c.transports = {plugin::transport_kind::tcp, plugin::transport_kind::tcp};
        CHECK(plugin::validate_config(c).error() ==
              rpcplugin::wire::setting_error("PLUGIN_SERVER_TRANSPORTS", "lists \"tcp\" twice"));
        c = {};
        c.ports = {10, 5};
        CHECK(plugin::validate_config(c).error().variable == "PLUGIN_MIN_PORT");
        c = {};
        c.rate_limit_requests_per_second = 0;
        CHECK(plugin::validate_config(c).error().variable ==
              "PLUGIN_RATE_LIMIT_REQUESTS_PER_SECOND");
        c = {};
        c.rate_limit_burst_capacity = 0;
        CHECK(plugin::validate_config(c).error().variable == "PLUGIN_RATE_LIMIT_BURST_CAPACITY");
        c = {};
        c.grace_period = -1ms;
        CHECK(plugin::validate_config(c).error().variable == "PLUGIN_GRPC_GRACE_PERIOD");
        c.grace_period = 3601s;
        CHECK(plugin::validate_config(c).error().variable == "PLUGIN_GRPC_GRACE_PERIOD");
        c = {};
        c.client_cert_pem = "junk";
        CHECK(plugin::validate_config(c).error().variable == "PLUGIN_CLIENT_CERT");
    }

    TEST_CASE("load_config validates the code's settings too")
    {
        plugin::config defaults;
        defaults.protocol_versions.clear();
        CHECK(refused({}, defaults).variable == "protocol_versions");
    }

    TEST_CASE("a setting error prints and throws its text")
    {
        const rpcplugin::wire::error e = rpcplugin::wire::setting_error("PLUGIN_X", "is wrong");
        std::ostringstream os;
        os << e;
        CHECK(os.str() == "PLUGIN_X: is wrong");
        auto r = plugin::load_config({}, env_of({{"PLUGIN_LOG_LEVEL", "loud"}}));
        CHECK_THROWS_WITH_AS(r.value(),
                             R"(PLUGIN_LOG_LEVEL: "loud" is not a log level (trace, debug, )"
                             R"(info, warn, error or off))",
                             rpcplugin::wire::error_exception);
    }

    TEST_CASE("transport_kind prints its variable spelling")
    {
        std::ostringstream os;
        os << plugin::transport_kind::unix_socket << ',' << plugin::transport_kind::tcp;
        CHECK(os.str() == "unix,tcp");
    }

    TEST_CASE("process_environment reads the real environment")
    {
        ::setenv("RPCPLUGIN_CONFIG_TEST_VAR", "value 1", 1);
        const auto env = plugin::process_environment();
        CHECK(env("RPCPLUGIN_CONFIG_TEST_VAR") == "value 1");
        ::unsetenv("RPCPLUGIN_CONFIG_TEST_VAR");
        CHECK_FALSE(env("RPCPLUGIN_CONFIG_TEST_VAR").has_value());
    }

    TEST_CASE("read_file reads a whole file and reports errno otherwise")
    {
        rpcplugin::test::temp_dir dir;
        const std::string path = dir.file("value.pem");
        std::string big(20000, 'x');
        big[0] = '\0';
        {
            std::ofstream out(path, std::ios::binary);
            out << big;
        }
        auto r = plugin::read_file(path);
        REQUIRE(r.has_value());
        CHECK(*r == big);

        auto missing = plugin::read_file(dir.file("missing"));
        REQUIRE(missing.has_error());
        CHECK(missing.error() == boost::system::errc::no_such_file_or_directory);

        auto directory = plugin::read_file(dir.path().string());
        REQUIRE(directory.has_error());
        CHECK(directory.error() == boost::system::errc::is_a_directory);
    }

    TEST_CASE("load_config reads a real file:// value by default")
    {
        rpcplugin::test::temp_dir dir;
        const std::string path = dir.file("cert.pem");
        {
            std::ofstream out(path);
            out << cert_a().certificate_pem;
        }
        auto r = plugin::load_config({}, env_of({{"PLUGIN_CLIENT_CERT", "file://" + path}}));
        REQUIRE(r.has_value());
        CHECK(r->client_cert_pem == cert_a().certificate_pem);
    }
}
