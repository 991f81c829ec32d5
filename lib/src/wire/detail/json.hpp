#pragma once

// JSON objects for the wire and host modules (reattach descriptions, hclog records on
// stderr), parsed with Boost.JSON (compiled into the library by json.cpp, the one
// translation unit that includes <boost/json/src.hpp>).

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/system/result.hpp>

#include <optional>
#include <string>
#include <string_view>

namespace rpcplugin::wire::detail
{
/** Parses `text` as one JSON object; the error says what is wrong and where. */
boost::system::result<boost::json::object, std::string> parse_json_object(std::string_view text);

/** The member `key` of `object`, or null when it has none. */
const boost::json::value* member(const boost::json::object& object, std::string_view key) noexcept;

/**
 * A value as hclog prints it: strings verbatim, numbers in plain decimal (integers exactly,
 * other numbers as shortest fixed notation), others compact JSON with strings escaped as
 * Go's `encoding/json` does.
 */
std::string value_text(const boost::json::value& v);

/** A JSON number that is an integer from 0 to `max`, whatever its spelling (`5`, `5.0`). */
std::optional<long long> non_negative_integer(const boost::json::value& v, long long max) noexcept;

/** The JSON type name of `v` (`string`, `number`, `object`, ...), for error messages. */
std::string_view json_type(const boost::json::value& v) noexcept;
} // namespace rpcplugin::wire::detail
