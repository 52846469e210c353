/**
 * Validation of names and listing patterns taken from request paths
 * (docs/kes-compatibility.md, "Names and listing patterns"), and of the base64 fields of request bodies.
 *
 * @module
 */

const NAME = /^[0-9A-Za-z_-]{1,80}$/

/**
 * isValidName reports whether `s` may name a key, policy or identity: 1–80 characters of
 * `[0-9A-Za-z_-]`, not starting or ending with `-`, and not the single `_` (KES `validName`).
 */
export function isValidName(s: string): boolean {
  return NAME.test(s) && !s.startsWith('-') && !s.endsWith('-') && s !== '_'
}

/**
 * isValidPattern reports whether `s` is a listing pattern: `*`, or a (possibly empty) prefix of
 * the name alphabet with one optional trailing `*` (KES `validPattern`).
 */
export function isValidPattern(s: string): boolean {
  if (s === '*') return true
  const prefix = s.endsWith('*') ? s.slice(0, -1) : s
  return prefix.length <= 80 && /^[0-9A-Za-z_-]*$/.test(prefix)
}

/**
 * listPrefix turns a valid listing pattern into the name prefix to list. A trailing `*` is
 * stripped: KES HEAD uses the pattern verbatim, so `my-key*` lists nothing there (a HEAD bug).
 */
export function listPrefix(pattern: string): string {
  return pattern.endsWith('*') ? pattern.slice(0, -1) : pattern
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/

/**
 * decodeBase64 decodes standard padded base64, as Go's `encoding/json` writes `[]byte`.
 * Returns undefined for anything else: Node's decoder would silently skip invalid characters.
 */
export function decodeBase64(s: string): Buffer | undefined {
  return BASE64.test(s) ? Buffer.from(s, 'base64') : undefined
}
