/**
 * Response writers with KES's exact bytes: empty 200s carry no body and no Content-Type, JSON is
 * one value and a newline (Go `json.Encoder`, which escapes `<`, `>` and `&`), errors are
 * `{"message":"…"}`.
 *
 * @module
 */
import type { ServerResponse } from 'node:http'

const HTML_UNSAFE = /[<>&\u2028\u2029]/
const HTML_UNSAFE_ALL = /[<>&\u2028\u2029]/g

/** goJson encodes `value` as Go's `json.Encoder` does: HTML-escaped, newline-terminated. */
export function goJson(value: unknown): string {
  const json = JSON.stringify(value)
  // Most bodies (base64 keys and ciphertexts) have nothing to escape: a test is cheaper than a replace.
  if (!HTML_UNSAFE.test(json)) return json + '\n'
  return json.replace(HTML_UNSAFE_ALL, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`) + '\n'
}

/** replyEmpty sends 200 with `Content-Length: 0`. */
export function replyEmpty(res: ServerResponse, status = 200): void {
  res.writeHead(status, ['Content-Length', '0'])
  res.end()
}

/**
 * replyJson sends `value` as a JSON body. The head is given to `writeHead` as one array (no
 * per-header bookkeeping) and the body as a string, which Node appends to the head: one write,
 * one TLS record, instead of a `writev` of head and body.
 */
export function replyJson(res: ServerResponse, value: unknown, status = 200): void {
  const body = goJson(value)
  res.writeHead(status, ['Content-Type', 'application/json', 'Content-Length', String(Buffer.byteLength(body))])
  res.end(body)
}

/**
 * replyError sends KES's error body. We use the compact `{"message":"…"}` form
 * (docs/kes-compatibility.md, "Error body"): clients parse either, and curl users read it more
 * easily than HEAD's inner newline.
 */
export function replyError(res: ServerResponse, status: number, message: string, headers?: Record<string, string>): void {
  if (res.headersSent) {
    res.destroy()
    return
  }
  const body = goJson({ message }).trimEnd()
  res.statusCode = status
  for (const [k, v] of Object.entries(headers ?? {})) res.setHeader(k, v)
  res.setHeader('Content-Type', 'application/json')
  res.setHeader('X-Content-Type-Options', 'nosniff')
  res.setHeader('Content-Length', String(Buffer.byteLength(body)))
  res.end(body)
}
