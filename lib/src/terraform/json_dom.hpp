#pragma once

// A small JSON tree that keeps numbers as their source text (cty numbers are exact
// decimals), parsed with Boost.JSON's SAX parser.

#include <rpcplugin/terraform/path.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace rpcplugin::terraform::detail
{

struct json_member;

struct json_node
{
    enum class kind : std::uint8_t
    {
        null,
        boolean,
        number,
        string,
        array,
        object
    };
    kind k = kind::null;
    bool b = false;
    std::string text; // string contents, or a number's source text
    std::vector<json_node> items;
    std::vector<json_member> members; // in document order
};

struct json_member
{
    std::string first; // the key
    json_node second;  // the value
};

/// Parses one JSON document (RFC 8259; no comments, no trailing commas). Errors carry the
/// parser's message and an empty path.
result<json_node> parse_json(std::string_view text, std::size_t max_depth = 512);

} // namespace rpcplugin::terraform::detail
