#pragma once

/**
 * @file
 * grpc.health.v1.Health as a stage: per-service status, Check, and a Watch stream that
 * sees every change. Draining turns every name NOT_SERVING.
 */

#include "rpcplugin/asio.hpp"
#include "rpcplugin/grpc/server.hpp"

#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace rpcplugin::health
{
/** The serving status of a service name (grpc.health.v1 values). */
enum class serving_status
{
    unknown = 0,
    serving = 1,
    not_serving = 2,
    service_unknown = 3,
};

/**
 * The health service. Names not set answer NOT_FOUND to Check and SERVICE_UNKNOWN to Watch
 * (as gRPC's own health service does).
 *
 * @par Thread Safety
 * Safe: `set_status` and `shutdown` may be called from any thread; watchers are notified
 * on their own connection's strand.
 */
class service
{
public:
    service() = default;
    service(const service&) = delete;
    service& operator=(const service&) = delete;

    /** Sets the status of `name` ("" is the whole server) and notifies watchers. */
    void set_status(const std::string& name, serving_status s);
    /** The status of `name`, or service_unknown. */
    serving_status status(const std::string& name) const;
    /** Marks every known name NOT_SERVING; later `set_status` calls are ignored. */
    void shutdown();
    /** Registers /grpc.health.v1.Health/Check and /Watch on `srv`, and `shutdown()` as one
        of its drain hooks; the service must outlive `srv`. */
    void add_to(grpc::server& srv);

private:
    struct watcher;
    asio::awaitable<grpc::status> watch(grpc::server_context& ctx, std::string name);
    void notify_all_locked();

    mutable std::mutex mutex_;
    std::map<std::string, serving_status> statuses_;
    std::vector<watcher*> watchers_;
    bool shut_down_ = false;
};
} // namespace rpcplugin::health
