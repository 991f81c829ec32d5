#pragma once

/**
 * @file
 * The text of the generated code: `$var$` blocks printed by `io::Printer::Print(vars, text)`.
 *
 * Names in generated code are fully qualified (`::std::`, `::rpcplugin::`) so that a proto
 * package such as `foo.rpcplugin` cannot capture them. A `$doc$` variable holds a whole
 * doc comment (indented, ending in a newline) or nothing.
 */

namespace rpcplugin::protoc_gen::templates
{
// --- <file>.rpcplugin.pb.h -----------------------------------------------------------------

/** Vars: proto, pb_h. */
extern const char* const header_prologue;
/** Includes of a header with services. Vars: none. */
extern const char* const header_includes_common;
extern const char* const header_includes_server;
extern const char* const header_includes_client;
extern const char* const header_includes_std;

/** Opens a service's namespace. Vars: doc, namespace, full_service. */
extern const char* const service_open;
/** Vars: doc, method, full_service, proto_method, request, response, kind. */
extern const char* const method_traits;

/** Vars: full_service. */
extern const char* const service_class_open;
/** One pure virtual per kind. Vars: doc, method, request, response. */
extern const char* const service_virtual_unary;
extern const char* const service_virtual_client_streaming;
extern const char* const service_virtual_server_streaming;
extern const char* const service_virtual_bidi_streaming;
/** Vars: none. */
extern const char* const service_class_close;

/** Vars: full_service. */
extern const char* const stub_class_open;
/** One member per kind (two for unary: status only, or the call kept open). Vars: doc,
    method, request, response. */
extern const char* const stub_decl_unary;
extern const char* const stub_decl_client_streaming;
extern const char* const stub_decl_server_streaming;
extern const char* const stub_decl_bidi_streaming;
/** Vars: none. */
extern const char* const stub_class_close;

/** Vars: namespace. */
extern const char* const service_close;

// --- <file>.rpcplugin.pb.cc ----------------------------------------------------------------

/** Vars: proto, rpcplugin_h. */
extern const char* const source_prologue;
/** Includes of a source with services. Vars: none. */
extern const char* const source_includes;
/** Vars: namespace. */
extern const char* const source_namespace_open;

/** Vars: none. */
extern const char* const register_open;
extern const char* const register_open_empty;
/** One registration per kind. Vars: method, add. */
extern const char* const register_unary;
extern const char* const register_client_streaming;
extern const char* const register_server_streaming;
extern const char* const register_bidi_streaming;
/** Vars: none. */
extern const char* const register_close;

/** Vars: none. */
extern const char* const stub_constructor;
/** One definition per kind. Vars: method, full_service, proto_method, request, response. */
extern const char* const stub_def_unary;
extern const char* const stub_def_client_streaming;
extern const char* const stub_def_server_streaming;
extern const char* const stub_def_bidi_streaming;

/** Vars: namespace. */
extern const char* const source_namespace_close;
} // namespace rpcplugin::protoc_gen::templates
