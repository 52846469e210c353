/**
 * Bounding the texts a keystore's server sends back (Vault's `errors`, etcd's error messages and
 * cancel reasons) before they become part of an Error message or a log line.
 *
 * @module
 */

/**
 * How much of a server-provided text is kept. Real error texts are a sentence or two; a longer one
 * is a broken or hostile server, whose text would otherwise land verbatim in the error log (in the
 * message and again in the stack) on every failed call or watch reconnect.
 */
export const MAX_SERVER_TEXT = 300

/**
 * serverText returns `text` cut to {@link MAX_SERVER_TEXT} characters, marking the cut with how
 * much was dropped so that a reader knows the log line is not the whole answer. Never throws.
 */
export function serverText(text: string): string {
  if (text.length <= MAX_SERVER_TEXT) return text
  // Not inside a surrogate pair: half a character would be U+FFFD in the log.
  const keep = /[\uD800-\uDBFF]/.test(text.charAt(MAX_SERVER_TEXT - 1)) ? MAX_SERVER_TEXT - 1 : MAX_SERVER_TEXT
  return `${text.slice(0, keep)}… (${text.length - keep} more characters cut)`
}
