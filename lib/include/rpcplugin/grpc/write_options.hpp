#pragma once

/**
 * @file
 * Options of one message write (server and client).
 */

namespace rpcplugin::grpc
{
/** Options of one message write. */
struct write_options
{
    /** Compress this message when the call has an encoding other than identity. */
    bool compress = true;
};
} // namespace rpcplugin::grpc
