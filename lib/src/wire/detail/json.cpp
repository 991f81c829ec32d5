#include "wire/detail/json.hpp"

#include <google/protobuf/util/json_util.h>

#include <charconv>
#include <cmath>

namespace rpcplugin::wire::detail
{
boost::system::result<google::protobuf::Struct, std::string>
parse_json_object(std::string_view text)
{
    google::protobuf::Struct out;
    auto st = google::protobuf::util::JsonStringToMessage(
        google::protobuf::StringPiece(text.data(), text.size()), &out);
    if (!st.ok())
        return boost::system::result<google::protobuf::Struct, std::string>(
            boost::system::in_place_error, std::string(st.message()));
    return out;
}

std::string value_text(const google::protobuf::Value& v)
{
    using K = google::protobuf::Value::KindCase;
    switch (v.kind_case())
    {
    case K::kStringValue:
        return v.string_value();
    case K::kBoolValue:
        return v.bool_value() ? "true" : "false";
    case K::kNullValue:
        return "null";
    case K::kNumberValue:
    {
        const double d = v.number_value();
        if (!std::isfinite(d))
            return std::isnan(d) ? "NaN" : (d > 0 ? "+Inf" : "-Inf");
        char buf[400];
        auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::fixed);
        if (ec != std::errc{})
            return std::to_string(d);
        return std::string(buf, end);
    }
    case K::kStructValue:
    case K::kListValue:
    case K::KIND_NOT_SET:
        break;
    }
    std::string out;
    if (!google::protobuf::util::MessageToJsonString(v, &out).ok())
        return "?";
    return out;
}

std::string_view json_type(const google::protobuf::Value& v) noexcept
{
    using K = google::protobuf::Value::KindCase;
    switch (v.kind_case())
    {
    case K::kStringValue:
        return "string";
    case K::kBoolValue:
        return "boolean";
    case K::kNullValue:
        return "null";
    case K::kNumberValue:
        return "number";
    case K::kStructValue:
        return "object";
    case K::kListValue:
        return "array";
    case K::KIND_NOT_SET:
        break;
    }
    return "nothing";
}
} // namespace rpcplugin::wire::detail
