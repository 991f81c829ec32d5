#pragma once

// What rpcplugin-host found out, and its two renderings: text for people, one JSON object
// for scripts.

#include "dynamic_call.hpp"
#include "kv_demo.hpp"
#include "reflection.hpp"

#include <rpcplugin/host/log_line.hpp>
#include <rpcplugin/host/plugin_client.hpp>
#include <rpcplugin/wire/certificate.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace rpcplugin_host
{
/** Exit statuses (documented in `usage()`). */
enum exit_code : int
{
    exit_ok = 0,
    exit_plugin_failed = 1,
    exit_usage = 2,
    exit_call_failed = 3,
    exit_killed = 4,
};

struct output_chunk
{
    rpcplugin::host::output_source source;
    std::string data;
};

struct report
{
    std::string plugin;
    std::vector<std::string> args;
    bool reattached = false;
    bool mtls = false;
    std::set<int> versions;
    long pid = 0;

    /** Set when the plugin could not be launched or reached (exit status 1). */
    std::optional<rpcplugin::host::failure> error;

    std::string handshake_line;
    rpcplugin::wire::handshake_line handshake;
    bool connected = false;

    rpcplugin::tls::session_info tls;
    std::optional<rpcplugin::wire::certificate_info> peer_cert;
    std::optional<rpcplugin::wire::certificate_info> host_cert;

    std::optional<rpcplugin::grpc::status> health_error;
    std::string health_status;
    std::chrono::nanoseconds health_elapsed{0};

    std::optional<reflection_answer> reflection;
    std::vector<call_outcome> calls;
    std::vector<demo_step> demo;

    std::vector<output_chunk> output;
    std::vector<rpcplugin::host::plugin_log_record> stderr_records;
    std::optional<rpcplugin::grpc::status> stdio;

    std::optional<rpcplugin::host::shutdown_result> shutdown;
    rpcplugin::host::launch_timings timings;
    std::chrono::steady_clock::time_point first_rpc;

    int exit_status = exit_ok;
};

/** The text rendering. */
std::string render_text(const report& r);

/** The JSON rendering (one object and a newline). */
std::string render_json(const report& r);
} // namespace rpcplugin_host
