#pragma once

// JSON objects for the wire and host modules (hclog records on stderr, reattach descriptions),
// parsed with protobuf's JSON parser into google.protobuf.Struct: numbers become doubles,
// as Go's encoding/json decodes them into interface{}.

#include <google/protobuf/struct.pb.h>

#include <boost/system/result.hpp>

#include <string>
#include <string_view>

namespace rpcplugin::wire::detail
{
/** Parses `text` as one JSON object; the error is protobuf's parser message. */
boost::system::result<google::protobuf::Struct, std::string>
parse_json_object(std::string_view text);

/** A value as hclog prints it: strings verbatim, numbers shortest fixed, others compact JSON. */
std::string value_text(const google::protobuf::Value& v);

/** The JSON type name of `v` (`string`, `number`, `object`, ...), for error messages. */
std::string_view json_type(const google::protobuf::Value& v) noexcept;
} // namespace rpcplugin::wire::detail
