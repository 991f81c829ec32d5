#pragma once

// Text the way Go's standard library writes it, where go-cty's output depends on it: the
// writers of wire/json.hpp, with JSON strings as go-cty built with Debian 12's Go 1.19
// writes them (the codec is checked byte for byte against that go-cty).

#include "rpcplugin/wire/json.hpp"

#include <string>
#include <string_view>

namespace rpcplugin::terraform::detail
{

/// encoding/json's string encoding (json.Marshal of a Go string, Go 1.19), quotes included.
inline void append_json_string(std::string& out, std::string_view s)
{
    wire::append_json_string(out, s, wire::go_json::go1_19);
}

/// strconv.Quote (fmt's %q), used by go-cty's set ordering.
using wire::go_quote;

} // namespace rpcplugin::terraform::detail
