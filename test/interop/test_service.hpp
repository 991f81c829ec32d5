#pragma once

/**
 * @file
 * grpc.testing.TestService on rpcplugin: the interop service of gRPC's interop test
 * descriptions (empty, unary, the three streaming kinds, status and metadata echo,
 * compression flags, response delays).
 */

#include "rpcplugin/grpc/server.hpp"

namespace rpcplugin::interop
{
/** Registers every TestService method except UnimplementedCall on `srv`. */
void add_test_service(grpc::server& srv);
} // namespace rpcplugin::interop
