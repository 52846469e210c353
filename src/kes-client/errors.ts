/**
 * Errors of the KES client: an answer of the server ({@link KesError}) or no answer at all
 * ({@link KesConnectionError}).
 *
 * @module
 */
import { STATUS_CODES } from 'node:http'

/**
 * KesError is an error answer of a KES server: `status` is the HTTP status, `message` the
 * server's text exactly as sent, so callers can match (status, message) as kms-go does.
 */
export class KesError extends Error {
  readonly status: number
  constructor(status: number, message: string) {
    super(message)
    this.name = 'KesError'
    this.status = status
  }
}

/** KesConnectionError: no endpoint answered (network or TLS failure, or the request timed out). */
export class KesConnectionError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'KesConnectionError'
  }
}

/**
 * The KES answers callers act on, as kms-go names them (`kes/errors.go`): (status, message) is how a KES
 * server says which failure it is, so the texts are matched here, once, and callers use the predicates below.
 */
const KNOWN = {
  keyNotFound: [404, 'key does not exist'],
  keyExists: [400, 'key already exists'],
  decryptFailed: [400, 'decryption failed: ciphertext is not authentic'],
} as const satisfies Record<string, readonly [number, string]>

const is = (known: keyof typeof KNOWN) => (err: unknown): err is KesError =>
  err instanceof KesError && err.status === KNOWN[known][0] && err.message === KNOWN[known][1]

/** isKeyNotFound tells whether `err` is KES's 404 `key does not exist`; throws nothing. */
export const isKeyNotFound = is('keyNotFound')
/** isKeyExists tells whether `err` is KES's 400 `key already exists` (or an older server's wording); throws nothing. */
export const isKeyExists = is('keyExists')
/** isDecryptFailed tells whether `err` is KES's 400 `decryption failed: ciphertext is not authentic`; throws nothing. */
export const isDecryptFailed = is('decryptFailed')

/**
 * isNotAllowed tells whether `err` is a 403 of a KES server: whatever its text (KES's `not authorized: insufficient
 * permissions`, an older server's `prohibited by policy`, a proxy's), the identity may not do this. Throws nothing.
 */
export function isNotAllowed(err: unknown): err is KesError {
  return err instanceof KesError && err.status === 403
}

// Older servers said the same thing in other words; kms-go maps them so callers see one text.
const LEGACY_MESSAGES: Record<string, string> = {
  'key does already exist': 'key already exists',
  'prohibited by policy': 'not authorized: insufficient permissions',
}

/**
 * The longest server text a KesError carries. KES's own texts are under 100 characters; the rest of a longer body
 * (a proxy's HTML page, a buggy server echoing a request or a dump) would only reach logs: keyhold-s3 logs the text
 * of a 5xx answer, and a 30 MB body became one log line.
 */
export const MAX_SERVER_TEXT = 300

/** serverText cuts a text taken from a server's answer to {@link MAX_SERVER_TEXT} characters, marking the cut with '…'. Throws nothing. */
export function serverText(text: string): string {
  if (text.length <= MAX_SERVER_TEXT) return text
  const cut = text.slice(0, MAX_SERVER_TEXT - 1)
  // Not inside a surrogate pair: half a character would be U+FFFD in the log.
  return (/[\uD800-\uDBFF]$/.test(cut) ? cut.slice(0, -1) : cut) + '…'
}

/**
 * parseErrorBody turns an error response into a KesError: the `message` (or `error`) field of a
 * JSON body, else the body as plain text, else the HTTP reason phrase, cut to {@link MAX_SERVER_TEXT}
 * characters. Never throws.
 */
export function parseErrorBody(status: number, contentType: string | undefined, body: Buffer): KesError {
  const text = body.toString('utf8')
  let message = ''
  if ((contentType ?? '').toLowerCase().startsWith('application/json')) {
    try {
      const parsed: unknown = JSON.parse(text)
      if (parsed !== null && typeof parsed === 'object') {
        const fields = parsed as { message?: unknown; error?: unknown }
        if (typeof fields.message === 'string') message = fields.message
        else if (typeof fields.error === 'string') message = fields.error
      }
    } catch {
      message = text.trim()
    }
  } else {
    message = text.trim()
  }
  if (message === '') message = STATUS_CODES[status] ?? `HTTP ${status}`
  // Own entries only: a server's `constructor` must not become Object's source text.
  return new KesError(status, Object.hasOwn(LEGACY_MESSAGES, message) ? LEGACY_MESSAGES[message]! : serverText(message))
}
