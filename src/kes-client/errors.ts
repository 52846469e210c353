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

// Older servers said the same thing in other words; kms-go maps them so callers see one text.
const LEGACY_MESSAGES: Record<string, string> = {
  'key does already exist': 'key already exists',
  'prohibited by policy': 'not authorized: insufficient permissions',
}

/**
 * parseErrorBody turns an error response into a KesError: the `message` (or `error`) field of a
 * JSON body, else the body as plain text, else the HTTP reason phrase. Never throws.
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
  return new KesError(status, LEGACY_MESSAGES[message] ?? message)
}
