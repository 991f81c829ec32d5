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
 * Which Go release's `encoding/json` a JSON string matches. They differ in two bytes only:
 * Go 1.22 and newer write backspace and form feed as `\b` and `\f`, older releases (Debian
 * 12 ships Go 1.19, whose go-cty the Terraform kit is checked against) as `\u0008` and
 * `\u000c`.
 */
enum class go_json
{
    go1_22, ///< `\b`, `\f`
    go1_19, ///< `\u0008`, `\u000c`
};

/**
 * Appends `text` to `out` as a quoted JSON string, byte for byte as Go's `encoding/json`
 * (HTML escaping on, hclog's default) encodes a Go string:
 *
 * - `"` and `\` are escaped with a backslash; `\n`, `\r` and `\t` use their short escapes,
 *   `\b` and `\f` too with `go_json::go1_22`; the other control characters below U+0020 are
 *   written `\u00XX` (lower-case hex);
 * - `<`, `>` and `&` become `\u003c`, `\u003e` and `\u0026`; U+2028 and U+2029 become
 *   `\u2028` and `\u2029`;
 * - every byte that does not start a valid UTF-8 sequence (stray continuation bytes,
 *   overlong forms, surrogates, code points above U+10FFFF, truncated sequences) is replaced
 *   by `\ufffd`, one per invalid byte; valid multi-byte characters are copied unchanged.
 *
 * The result is always valid UTF-8 and valid JSON.
 */
void append_json_string(std::string& out, std::string_view text, go_json style = go_json::go1_22);

/** Returns `text` as a quoted JSON string; see `append_json_string`. */
std::string json_string(std::string_view text);

/**
 * `text` quoted as Go's `strconv.Quote` (fmt's `%q`) does, rune by rune: `"` and `\`
 * escaped, printable characters as they are, `\a \b \f \n \r \t \v` short, other
 * non-printable characters `\xNN` (below U+0080), `\uNNNN` or `\UNNNNNNNN`, and each byte
 * that is not valid UTF-8 `\xNN`. Go's `unicode.IsPrint` is approximated: C0 and C1
 * controls, U+00AD, U+2028/2029, U+FEFF, private use characters and noncharacters are not
 * printable, every other valid character is.
 */
std::string go_quote(std::string_view text);
} // namespace rpcplugin::wire
