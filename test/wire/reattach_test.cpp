#include "rpcplugin/wire/reattach.hpp"

#include <doctest/doctest.h>

#include <string>

using rpcplugin::wire::errc;
using rpcplugin::wire::format_reattach_json;
using rpcplugin::wire::parse_reattach_json;
using rpcplugin::wire::reattach_config;

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

TEST_SUITE("wire")
{
    TEST_CASE("format_reattach_json writes Terraform's TF_REATTACH_PROVIDERS form")
    {
        reattach_config info;
        info.test = true;
        info.network = "unix";
        info.protocol_version = 6;
        info.pid = 4242;
        info.address = "/tmp/plugin123";
        CHECK(format_reattach_json("registry.terraform.io/acme/kv", info) ==
              R"({"registry.terraform.io/acme/kv":{"Protocol":"grpc","ProtocolVersion":6,)"
              R"("Pid":4242,"Test":true,"Addr":{"Network":"unix","String":"/tmp/plugin123"}}})");
        info.test = false;
        info.network = "tcp";
        info.address = "127.0.0.1:10000";
        CHECK(format_reattach_json("registry.terraform.io/acme/kv", info) ==
              R"({"registry.terraform.io/acme/kv":{"Protocol":"grpc","ProtocolVersion":6,)"
              R"("Pid":4242,"Test":false,"Addr":{"Network":"tcp","String":"127.0.0.1:10000"}}})");
    }

    TEST_CASE("format_reattach_json escapes names and paths as Go's encoding/json")
    {
        reattach_config info;
        info.test = true;
        info.network = "unix";
        info.protocol_version = 1;
        info.pid = 1;
        info.address = "/tmp/x\\y\n";
        CHECK(format_reattach_json("a\"b<c>", info) ==
              R"({"a\"b\u003cc\u003e":{"Protocol":"grpc","ProtocolVersion":1,"Pid":1,)"
              R"("Test":true,"Addr":{"Network":"unix","String":"/tmp/x\\y\n"}}})");
    }

    TEST_CASE("parse_reattach_json reads what format_reattach_json writes")
    {
        reattach_config c;
        c.protocol_version = 6;
        c.pid = 99;
        c.test = true;
        c.network = "tcp";
        c.address = "127.0.0.1:4567";
        auto r = parse_reattach_json(format_reattach_json("a\"b<c>", c));
        REQUIRE_MESSAGE(r.has_value(), r.error());
        REQUIRE(r->size() == 1);
        CHECK(r->at("a\"b<c>") == c);
    }

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
        CHECK(
            error_of(
                R"({"p": {"Protocol": "netrpc", "Addr": {"Network": "unix", "String": "/s"}}})") ==
            R"(reattach config "p": unsupported plugin protocol "netrpc". Supported: [grpc])");
        CHECK(
            error_of(
                R"({"p": {"ProtocolVersion": -1, "Addr": {"Network": "unix", "String": "/s"}}})") ==
            R"(reattach config "p": ProtocolVersion must be a non-negative integer)");
        CHECK(
            error_of(
                R"({"p": {"ProtocolVersion": 1.5, "Addr": {"Network": "unix", "String": "/s"}}})") ==
            R"(reattach config "p": ProtocolVersion must be a non-negative integer)");
        CHECK(error_of(R"({"p": {"Pid": "12", "Addr": {"Network": "unix", "String": "/s"}}})") ==
              R"(reattach config "p": Pid must be a non-negative integer)");
        CHECK(error_of(R"({"p": {"Test": 1, "Addr": {"Network": "unix", "String": "/s"}}})") ==
              R"(reattach config "p": Test must be true or false)");
        CHECK(error_of(R"({"p": {}})") ==
              R"(reattach config "p": Addr must be an object with Network and String)");
        CHECK(error_of(R"({"p": {"Addr": {"Network": "udp", "String": "x"}}})") ==
              R"(reattach config "p": unknown address type "udp" (want unix or tcp))");
        CHECK(error_of(R"({"p": {"Addr": {"Network": "unix", "String": ""}}})") ==
              R"(reattach config "p": Addr.String is empty)");
        CHECK(error_of(R"({"p": {"Addr": {"Network": "tcp", "String": "127.0.0.1"}}})") ==
              R"(reattach config "p": Addr.String "127.0.0.1": want host:port)");
        CHECK(
            error_of(R"({"p": {"Addr": {"Network": "tcp", "String": "127.0.0.1:http"}}})") ==
            R"(reattach config "p": Addr.String "127.0.0.1:http": port "http" is not a number from 0 to 65535)");
    }

    TEST_CASE("parse_reattach_json reports the first bad entry by name")
    {
        CHECK(error_of(R"({"z": 1, "a": 2, "m": 3})") ==
              R"(reattach config "a": want an object, got number)");
    }
}
