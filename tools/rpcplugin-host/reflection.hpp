#pragma once

// The services a plugin serves, asked through grpc.reflection.v1alpha (Go plugins on
// go-plugin >= 1.2 register it).

#include <rpcplugin/asio.hpp>
#include <rpcplugin/grpc/channel.hpp>

#include <chrono>
#include <string>
#include <vector>

namespace rpcplugin_host
{
/** What reflection said. */
struct reflection_answer
{
    /** The ServerReflectionInfo call's status (UNIMPLEMENTED: reflection is not served). */
    rpcplugin::grpc::status status;
    /** The service names, sorted (when served). */
    std::vector<std::string> services;
    /** An ErrorResponse's message, if the server sent one. */
    std::string error;

    bool served() const { return status.code() != rpcplugin::grpc::status_code::unimplemented; }
};

/**
 * Sends `list_services` on `ServerReflectionInfo` and reads the answer.
 * Cancellation: as the channel's calls.
 */
rpcplugin::asio::awaitable<reflection_answer> list_services(rpcplugin::grpc::channel& ch,
                                                            std::chrono::milliseconds timeout);
} // namespace rpcplugin_host
