#pragma once

#include <nghttp2/nghttp2.h>

namespace rpcplugin::http2::detail
{
/** The server callbacks table, built once; every entry is a noexcept trampoline into
    `server_session`. */
const nghttp2_session_callbacks* server_callbacks();

/** The client callbacks table, built once; trampolines into `client_session`. */
const nghttp2_session_callbacks* client_callbacks();

/** nghttp2's data-source read callback for server response bodies. */
ssize_t read_body_callback(nghttp2_session* session, int32_t stream_id, uint8_t* buf,
                           size_t length, uint32_t* data_flags, nghttp2_data_source* source,
                           void* user_data) noexcept;

/** nghttp2's data-source read callback for client request bodies. */
ssize_t read_request_body_callback(nghttp2_session* session, int32_t stream_id, uint8_t* buf,
                                   size_t length, uint32_t* data_flags,
                                   nghttp2_data_source* source, void* user_data) noexcept;
} // namespace rpcplugin::http2::detail
