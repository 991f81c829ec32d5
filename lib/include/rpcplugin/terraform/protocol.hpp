#pragma once

/**
 * @file
 * Conversions between the provider kit's types and the tfplugin5/tfplugin6 messages:
 * schemas, diagnostics, attribute paths and DynamicValues. Each function exists for both
 * protocols (the messages share their field names); protocol 5 has no nested attributes.
 * Part of the rpcplugin-terraform library (it links the generated tfplugin messages).
 */

#include <rpcplugin/terraform/codec.hpp>
#include <rpcplugin/terraform/diagnostic.hpp>
#include <rpcplugin/terraform/schema.hpp>

#include "tfplugin5/tfplugin5.pb.h"
#include "tfplugin6/tfplugin6.pb.h"

namespace rpcplugin::terraform
{

/// Fills a Schema message. Protocol 5 cannot carry nested attributes: error naming one.
result<void> to_proto(const schema& s, tfplugin6::Schema& out);
result<void> to_proto(const schema& s, tfplugin5::Schema& out);

void to_proto(const attribute_path& p, tfplugin6::AttributePath& out);
void to_proto(const attribute_path& p, tfplugin5::AttributePath& out);
attribute_path from_proto(const tfplugin6::AttributePath& p);
attribute_path from_proto(const tfplugin5::AttributePath& p);

void to_proto(const diagnostic& d, tfplugin6::Diagnostic& out);
void to_proto(const diagnostic& d, tfplugin5::Diagnostic& out);

/**
 * Decodes a DynamicValue as Terraform does: msgpack if present, else JSON, else null of `t`
 * (an absent or empty DynamicValue is null).
 */
result<value> decode(const tfplugin6::DynamicValue& dv, const type& t);
result<value> decode(const tfplugin5::DynamicValue& dv, const type& t);

/// Encodes as msgpack (what Terraform prefers); a null value is the single byte c0.
result<void> encode(const value& v, const type& t, tfplugin6::DynamicValue& out);
result<void> encode(const value& v, const type& t, tfplugin5::DynamicValue& out);

/// A diagnostic for a value that failed to decode: "Invalid <what>" with the decoder's
/// message, pointing at the attribute path the decoder named.
diagnostic decode_error(const error& e, const std::string& what);

} // namespace rpcplugin::terraform
