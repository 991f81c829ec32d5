#pragma once

// Calls any unary method with a JSON request, using a protoc descriptor set for the types
// (google::protobuf::DynamicMessageFactory and protobuf's JSON mapping).

#include <rpcplugin/asio.hpp>
#include <rpcplugin/grpc/channel.hpp>

#include <google/protobuf/descriptor.h>
#include <google/protobuf/dynamic_message.h>

#include <boost/system/result.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

namespace rpcplugin_host
{
/** The messages and services of a FileDescriptorSet. */
class descriptor_set
{
public:
    /** Reads and builds the set in `path`. The error names the file and the cause. */
    static boost::system::result<std::unique_ptr<descriptor_set>, std::string>
    load(const std::string& path);

    /**
     * Finds a method by `package.Service/Method`, `/package.Service/Method` or
     * `package.Service.Method`. The error says what is missing (and lists the services).
     */
    boost::system::result<const google::protobuf::MethodDescriptor*, std::string>
    find_method(std::string_view name) const;

    /** A fresh message of `type`. */
    std::unique_ptr<google::protobuf::Message> make(const google::protobuf::Descriptor* type);

private:
    google::protobuf::DescriptorPool pool_;
    google::protobuf::DynamicMessageFactory factory_{&pool_};
};

/** The outcome of one call. */
struct call_outcome
{
    std::string method;  ///< `package.Service/Method`
    std::string request; ///< the request, re-printed as JSON
    rpcplugin::grpc::status status;
    std::string response; ///< the response as JSON (OK only)
    std::chrono::nanoseconds elapsed{0};
};

/** Parses `json` into a request of `method` (the error is protobuf's, naming the field). */
boost::system::result<std::unique_ptr<google::protobuf::Message>, std::string>
parse_request(descriptor_set& set, const google::protobuf::MethodDescriptor* method,
              std::string_view json);

/** A message as protobuf's JSON mapping prints it (compact). */
std::string to_json(const google::protobuf::Message& m);

/**
 * Calls unary `method` on `ch` with `request` and the deadline `timeout`.
 * Cancellation: as `grpc::channel::unary`.
 */
rpcplugin::asio::awaitable<call_outcome>
call_unary(rpcplugin::grpc::channel& ch, descriptor_set& set,
           const google::protobuf::MethodDescriptor* method,
           const google::protobuf::Message& request, std::chrono::milliseconds timeout);
} // namespace rpcplugin_host
