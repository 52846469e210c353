/**
 * Making untrusted text safe to print on a terminal, or to write in a log an operator reads on one.
 *
 * Both CLIs print text that someone else chose: a server's error messages, key, policy, bucket
 * and object names, and the request paths of an audit log, which any client (no policy needed)
 * can fill by sending a request. A terminal obeys the control characters in what it prints: ESC
 * starts CSI and OSC sequences (clear the screen, move the cursor, set the window title, write
 * the clipboard), C1 controls do the same in one character, CR and BS overwrite what is already
 * on a line, and Unicode bidi controls reorder how a line reads. Zero-width and other invisible
 * format characters print as nothing at all: `admin\u200b` looks like `admin`, and tag characters
 * can carry a whole hidden text. So every such text is passed through {@link terminalText} before
 * it is printed in text mode, one value or one line at a time.
 * JSON output goes through {@link terminalJson}: the same values, no raw control characters.
 *
 * @module
 */

// C0 controls (U+0000–U+001F), DEL (U+007F), C1 controls (U+0080–U+009F), the Unicode bidi
// controls (ALM U+061C, LRM/RLM U+200E/U+200F, LRE..RLO U+202A–U+202E, LRI..PDI U+2066–U+2069)
// and the Unicode line and paragraph separators (U+2028/U+2029: line breaks to some terminals
// and log viewers, like LF).
// Also the characters that print as nothing, or as a blank no name needs, so that `admin\u200b`
// looks like `admin`: soft hyphen U+00AD, combining grapheme joiner U+034F, the Hangul fillers
// U+115F, U+1160, U+3164 and U+FFA0, Mongolian vowel separator U+180E, ZWSP/ZWNJ/ZWJ
// U+200B–U+200D, word joiner and invisible operators U+2060–U+2064, ZWNBSP/BOM U+FEFF, and the
// tag characters U+E0000–U+E007F (which can spell a whole hidden text). Letters of every script
// are kept. The `u` flag: a tag character lies beyond U+FFFF, a surrogate pair that must match as one.
// U+034F comes first in both classes: after another character, a combining mark reads to the linter
// as if the two were meant as one (no-misleading-character-class).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u034f\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\u00ad\u115f\u1160\u180e\u200b-\u200d\u2060-\u2064\u3164\ufeff\uffa0\u{e0000}-\u{e007f}]/gu

// The escapes read as in a JavaScript or JSON string, so an operator recognises them; LF, CR and
// TAB in their short form, a character beyond U+FFFF (a tag character) as `\u{e0041}`. Even LF is
// escaped: a field is one value, and a line break in it could only serve to forge a line of output
// that seems to come from the CLI.
const SHORT: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }

function escape(c: string): string {
  const code = c.codePointAt(0)!
  if (code > 0xffff) return `\\u{${code.toString(16)}}`
  return SHORT[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`)
}

/**
 * terminalText returns `text` with every character that a terminal would act on, or that
 * reorders or breaks a line, replaced by a visible escape: C0 controls including LF and TAB
 * (`\n`, `\t`, `\r`, else `\x1b` style), DEL and C1 controls (`\x7f`, `\x9b`), bidi controls and
 * U+2028/U+2029 (`\u202e` style), and the invisible format characters: zero-width ones, the soft
 * hyphen, the Hangul fillers and such (`\xad`, `\u200b` style) and the tag characters
 * (`\u{e0041}` style). Everything else, including backslashes and the letters of every script, is
 * kept as it is, so ordinary text is unchanged and escaping twice changes nothing more (a literal
 * `\x1b` typed into a name reads the same as an escaped ESC: harmless, it is only text). Throws
 * nothing.
 *
 * For one value, or one line of output built around values (`key "${name}" is …`): the caller adds
 * the line breaks between lines itself ({@link terminalBlock}).
 */
export function terminalText(text: string): string {
  // String(): the server's JSON is not checked against its declared types, a "string" may be anything.
  return String(text).replace(UNSAFE, escape)
}

/**
 * terminalBlock renders lines for the terminal: each line escaped with {@link terminalText}, joined
 * with LF and ending in one. For output of several lines built around values from elsewhere, e.g.
 * `[\`Name: ${name}\`, \`Status: ${status}\`]`. Throws nothing.
 */
export function terminalBlock(lines: readonly string[]): string {
  return lines.map((line) => terminalText(line) + '\n').join('')
}

/**
 * terminalLines is {@link terminalText} for a text of several lines that this program wrote
 * itself, e.g. a config error listing one issue per line: each line is escaped, the LFs between
 * them are kept. Not for a single value from elsewhere: there an LF is escaped too. Throws nothing.
 */
export function terminalLines(text: string): string {
  return text.split('\n').map(terminalText).join('\n')
}

// JSON.stringify escapes C0 controls only (as \u001b): DEL, C1 and bidi controls, U+2028/U+2029
// and the invisible characters come out raw, and `--json` on a terminal would show them as they are.
const JSON_UNSAFE = /[\u034f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\u00ad\u115f\u1160\u180e\u200b-\u200d\u2060-\u2064\u3164\ufeff\uffa0\u{e0000}-\u{e007f}]/gu

// JSON has only `\uXXXX`: a character beyond U+FFFF is written as its surrogate pair, which parses back to it.
function jsonEscape(c: string): string {
  let out = ''
  for (let i = 0; i < c.length; i++) out += `\\u${c.charCodeAt(i).toString(16).padStart(4, '0')}`
  return out
}

/**
 * terminalJson is JSON.stringify(value, undefined, space) with DEL, C1 and bidi controls,
 * U+2028/U+2029 and the invisible characters of {@link terminalText} written as `\uXXXX` escapes
 * too (a tag character as its surrogate pair; JSON.stringify escapes only U+0000–U+001F). The
 * escapes sit inside JSON strings, the only place such characters can be, so the JSON parses to
 * the very same value: scripts see no difference, a terminal sees no raw control. Throws what
 * JSON.stringify throws (a cycle, a BigInt).
 */
export function terminalJson(value: unknown, space?: number): string {
  // JSON.stringify returns undefined for undefined (typed as string): printed as such, as before.
  const json = JSON.stringify(value, undefined, space) as string | undefined
  return safeJsonText(String(json))
}

/**
 * safeJsonText writes the characters {@link terminalJson} escapes as `\uXXXX` in a text that is already JSON
 * (a log line as the logger wrote it): they can only stand inside its strings, so it parses to the same value.
 * Throws nothing.
 */
export function safeJsonText(json: string): string {
  return json.replace(JSON_UNSAFE, jsonEscape)
}
