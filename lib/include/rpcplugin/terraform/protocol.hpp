#pragma once

/**
 * @file
 * Conversions between the provider kit's types and the tfplugin5/tfplugin6 messages:
 * schemas, diagnostics, attribute paths, functions and DynamicValues. Each function exists for both
 * protocols (the messages share their field names); protocol 5 has no nested attributes.
 * Part of the rpcplugin-terraform library (it links the generated tfplugin messages).
 */

#include <rpcplugin/terraform/codec.hpp>
#include <rpcplugin/terraform/diagnostic.hpp>
#include <rpcplugin/terraform/provider.hpp>
#include <rpcplugin/terraform/schema.hpp>

#include "tfplugin5/tfplugin5.pb.h"
#include "tfplugin6/tfplugin6.pb.h"

namespace rpcplugin::terraform
{

/// Fills a tfplugin6 Schema message (version, block, nested attributes as Schema.Object).
/// The schema is not checked here (see validate()); the result is always a value.
result<void> to_proto(const schema& s, tfplugin6::Schema& out);
/// Fills a tfplugin5 Schema message. Protocol 5 cannot carry nested attributes: an error
/// whose path names the first one found (`out` is then partly filled).
result<void> to_proto(const schema& s, tfplugin5::Schema& out);

/// Appends one AttributePath step per path step to `out` (attribute_name,
/// element_key_string or element_key_int).
void to_proto(const attribute_path& p, tfplugin6::AttributePath& out);
/// Appends one AttributePath step per path step to `out` (protocol 5 form of the above).
void to_proto(const attribute_path& p, tfplugin5::AttributePath& out);
/// The path an AttributePath message carries; steps with no selector set are skipped.
attribute_path from_proto(const tfplugin6::AttributePath& p);
/// The path an AttributePath message carries (protocol 5 form of the above).
attribute_path from_proto(const tfplugin5::AttributePath& p);

/// Fills severity, summary and detail; the attribute field only when `d.path` is not empty.
void to_proto(const diagnostic& d, tfplugin6::Diagnostic& out);
/// Fills a protocol 5 Diagnostic the same way as the protocol 6 one.
void to_proto(const diagnostic& d, tfplugin5::Diagnostic& out);

/// Fills a tfplugin6 Function message: every parameter (name, type JSON, allow_null_value,
/// allow_unknown_values, description), the variadic parameter likewise, the return type,
/// summary and description (all plain text).
void to_proto(const function& f, tfplugin6::Function& out);
/// Fills a protocol 5 Function message the same way as the protocol 6 one.
void to_proto(const function& f, tfplugin5::Function& out);

/**
 * Decodes a DynamicValue as Terraform does: msgpack if present, else JSON, else null of `t`
 * (an absent or empty DynamicValue is null).
 */
result<value> decode(const tfplugin6::DynamicValue& dv, const type& t);
/// Decodes a protocol 5 DynamicValue the same way as the protocol 6 one.
result<value> decode(const tfplugin5::DynamicValue& dv, const type& t);

/// Encodes as msgpack (what Terraform prefers); a null value is the single byte c0. Sets
/// `out.msgpack`, clears `out.json`; on an error (see to_msgpack()) `out` is unchanged.
result<void> encode(const value& v, const type& t, tfplugin6::DynamicValue& out);
/// Encodes into a protocol 5 DynamicValue the same way as into the protocol 6 one.
result<void> encode(const value& v, const type& t, tfplugin5::DynamicValue& out);

/// A diagnostic for a value that failed to decode: "Invalid <what>" with the decoder's
/// message, pointing at the attribute path the decoder named.
diagnostic decode_error(const error& e, const std::string& what);

} // namespace rpcplugin::terraform
