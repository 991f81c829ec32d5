#include "rpcplugin/host/reattach.hpp"

#include <doctest/doctest.h>

#include <string>

using rpcplugin::host::errc;
using rpcplugin::host::parse_reattach_json;
using rpcplugin::host::reattach_config;

namespace
{
std::string error_of(std::string_view json)
{
    auto r = parse_reattach_json(json);
    REQUIRE_MESSAGE(r.has_error(), json);
    CHECK(r.error().code == errc::bad_reattach_config);
    return r.error().message;
}
} // namespace

TEST_SUITE("host")
{
    TEST_CASE("parse_reattach_json reads Terraform's TF_REATTACH_PROVIDERS form")
    {
        auto r = parse_reattach_json(R"({
            "registry.terraform.io/hashicorp/example": {
                "Protocol": "grpc", "ProtocolVersion": 5, "Pid": 123, "Test": true,
                "Addr": {"Network": "unix", "String": "/tmp/plugin123"}
            },
            "local/tcp": {"ProtocolVersion": 6, "Addr": {"Network": "tcp", "String": "127.0.0.1:10001"}, "Extra": 1}
        })");
        REQUIRE_MESSAGE(r.has_value(), r.error().message);
        REQUIRE(r->size() == 2);
        reattach_config unix_cfg{"grpc", 5, 123, true, "unix", "/tmp/plugin123"};
        CHECK(r->at("registry.terraform.io/hashicorp/example") == unix_cfg);
        reattach_config tcp_cfg{"grpc", 6, 0, false, "tcp", "127.0.0.1:10001"};
        CHECK(r->at("local/tcp") == tcp_cfg);
    }

    TEST_CASE("parse_reattach_json names the entry and the key at fault")
    {
        CHECK(error_of("").starts_with("reattach config is not a JSON object"));
        CHECK(error_of("[1]").starts_with("reattach config is not a JSON object"));
        CHECK(error_of("{}") == "reattach config names no plugin");
        CHECK(error_of(R"({"p": 5})") == R"(reattach config "p": want an object, got number)");
        CHECK(error_of(R"({"p": {"Protocol": "netrpc", "Addr": {"Network": "unix", "String": "/s"}}})") ==
              R"(reattach config "p": unsupported plugin protocol "netrpc". Supported: [grpc])");
        CHECK(error_of(R"({"p": {"ProtocolVersion": -1, "Addr": {"Network": "unix", "String": "/s"}}})") ==
              R"(reattach config "p": ProtocolVersion must be a non-negative integer)");
        CHECK(error_of(R"({"p": {"ProtocolVersion": 1.5, "Addr": {"Network": "unix", "String": "/s"}}})") ==
              R"(reattach config "p": ProtocolVersion must be a non-negative integer)");
        CHECK(error_of(R"({"p": {"Pid": "12", "Addr": {"Network": "unix", "String": "/s"}}})") ==
              R"(reattach config "p": Pid must be a non-negative integer)");
        CHECK(error_of(R"({"p": {"Test": 1, "Addr": {"Network": "unix", "String": "/s"}}})") ==
              R"(reattach config "p": Test must be true or false)");
        CHECK(error_of(R"({"p": {}})") == R"(reattach config "p": Addr must be an object with Network and String)");
        CHECK(error_of(R"({"p": {"Addr": {"Network": "udp", "String": "x"}}})") ==
              R"(reattach config "p": unknown address type "udp" (want unix or tcp))");
        CHECK(error_of(R"({"p": {"Addr": {"Network": "unix", "String": ""}}})") ==
              R"(reattach config "p": Addr.String is empty)");
        CHECK(error_of(R"({"p": {"Addr": {"Network": "tcp", "String": "127.0.0.1"}}})") ==
              R"(reattach config "p": Addr.String "127.0.0.1": want host:port)");
        CHECK(error_of(R"({"p": {"Addr": {"Network": "tcp", "String": "127.0.0.1:http"}}})") ==
              R"(reattach config "p": Addr.String "127.0.0.1:http": port "http" is not a number from 0 to 65535)");
    }

    TEST_CASE("parse_reattach_json reports the first bad entry by name")
    {
        CHECK(error_of(R"({"z": 1, "a": 2, "m": 3})") == R"(reattach config "a": want an object, got number)");
    }
}
