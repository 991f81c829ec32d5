#pragma once

// --demo-kv: the KV example's broker round trips (proto/kv/kv.proto), both directions.

#include <rpcplugin/asio.hpp>
#include <rpcplugin/host/plugin_client.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace rpcplugin_host
{
/** One step of the demo. */
struct demo_step
{
    std::string name;
    bool ok = false;
    std::string detail;
    std::chrono::nanoseconds elapsed{0};
};

/**
 * Runs, on the KV plugin behind `client`:
 *
 * 1. host -> plugin -> host: Put(n, "2"); the host serves kv.Helper on a fresh broker id
 *    (AcceptAndServe) and sends Put(n, "40", add_server=id); the plugin dials the id and
 *    calls Helper.Sum(2, 40) on the host; Get(n) must be "42" and the host must have seen
 *    exactly that Sum call;
 * 2. plugin -> host: StartCounter(100) returns the id the plugin serves kv.Counter on; the
 *    host dials it and calls Counter.Add(5), which must return 105.
 *
 * Cancellation: not cancellable (each call has `timeout`).
 */
rpcplugin::asio::awaitable<std::vector<demo_step>>
run_kv_demo(rpcplugin::host::plugin_client& client, std::chrono::milliseconds timeout);
} // namespace rpcplugin_host
