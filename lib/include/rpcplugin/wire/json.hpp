#pragma once

/**
 * @file
 * Strings quoted as Go writes them: JSON (`encoding/json`) for the hclog lines on stderr and
 * the reattach description a debug-mode plugin prints, and Go's `strconv.Quote` for the
 * error messages that repeat go-plugin's wording.
 */

#include <string>
#include <string_view>

namespace rpcplugin::wire
{
/**
 * Appends `text` to `out` as a quoted JSON string, byte for byte as Go's `encoding/json`
 * (Go 1.22 and newer, HTML escaping on, hclog's default) encodes a Go string:
 *
 * - `"` and `\` are escaped with a backslash; `\n`, `\r`, `\t`, `\b` and `\f` use their short
 *   escapes; the other control characters below U+0020 are written `\u00XX` (lower-case hex);
 * - `<`, `>` and `&` become `\u003c`, `\u003e` and `\u0026`; U+2028 and U+2029 become
 *   `\u2028` and `\u2029`;
 * - every byte that does not start a valid UTF-8 sequence (stray continuation bytes,
 *   overlong forms, surrogates, code points above U+10FFFF, truncated sequences) is replaced
 *   by `\ufffd`, one per invalid byte; valid multi-byte characters are copied unchanged.
 *
 * The result is always valid UTF-8 and valid JSON.
 */
void append_json_string(std::string& out, std::string_view text);

/** Returns `text` as a quoted JSON string; see `append_json_string`. */
std::string json_string(std::string_view text);

/**
 * `text` quoted as Go's `strconv.Quote` does for the messages go-plugin writes, close
 * enough for error messages: printable ASCII and other bytes at or above 0x80 as they are,
 * `"` and `\` escaped, `\a \b \f \n \r \t \v` short, other control bytes and DEL `\xNN`.
 */
std::string go_quote(std::string_view text);
} // namespace rpcplugin::wire
