#pragma once

#include <nghttp2/nghttp2.h>

namespace rpcplugin::http2::detail
{
/** The nghttp2 callbacks of one session kind: every entry is a noexcept trampoline into
    the session given as user data. */
struct session_callbacks
{
    const nghttp2_session_callbacks* table;
    /** The data-source read callback of bodies the session sends (responses or requests). */
    nghttp2_data_source_read_callback read_body;
};

/** The server's callbacks (into `server_session`), built once. */
const session_callbacks& server_callbacks();

/** The client's callbacks (into `client_session`), built once. */
const session_callbacks& client_callbacks();
} // namespace rpcplugin::http2::detail
