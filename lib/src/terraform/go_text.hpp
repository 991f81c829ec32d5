#pragma once

// Text the way Go's standard library writes it, where go-cty's output depends on it.

#include <string>
#include <string_view>

namespace rpcplugin::terraform::detail
{

/// encoding/json's string encoding (json.Marshal of a Go string), quotes included: `"`, `\`
/// and controls escaped (\n \r \t short, others \u00XX), `<` `>` `&` U+2028 U+2029 as \uXXXX,
/// invalid UTF-8 replaced by \ufffd.
void append_json_string(std::string& out, std::string_view s);

/// strconv.Quote (fmt's %q), used by go-cty's set ordering. Printable non-ASCII characters
/// are kept; Go's unicode.IsPrint is approximated (C1 controls, U+00AD, U+2028/2029, BOM,
/// surrogates, private use and noncharacters are escaped).
std::string go_quote(std::string_view s);

} // namespace rpcplugin::terraform::detail
