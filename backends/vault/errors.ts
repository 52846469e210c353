/**
 * How Vault answers are classified: Vault's error envelope and the one error type the HTTP layer
 * throws for a non-2xx answer the caller did not expect.
 *
 * @module
 */
import { serverText } from '../server-text.js'

/** Extracts Vault's `errors` array from a JSON body; `undefined` when the body has none. */
export function vaultErrors(body: unknown): string[] | undefined {
  if (typeof body !== 'object' || body === null) return undefined
  const errors = (body as { errors?: unknown }).errors
  if (!Array.isArray(errors)) return undefined
  return errors.filter((e): e is string => typeof e === 'string')
}

/**
 * VaultHttpError: Vault answered `status` to `method path`. The message names the path and
 * Vault's error texts, never a token or a request body. The texts are cut (here and in `errors`,
 * which a logger may serialise too): they come from the server, whatever their size.
 */
export class VaultHttpError extends Error {
  readonly errors: string[]

  constructor(
    readonly status: number,
    readonly method: string,
    readonly path: string,
    errors: string[],
  ) {
    const detail = errors.length > 0 ? `: ${serverText(errors.join('; ').replace(/\s+/g, ' ').trim())}` : ''
    super(`vault: ${method} ${path}: HTTP ${status}${detail}`)
    this.name = 'VaultHttpError'
    this.errors = errors.slice(0, 10).map(serverText)
  }
}

/** VaultNetworkError: no HTTP answer at all (connection refused or dropped, TLS failure, timeout). */
export class VaultNetworkError extends Error {
  constructor(
    readonly method: string,
    readonly path: string,
    cause: unknown,
  ) {
    const why = cause instanceof Error ? cause.message : String(cause)
    super(`vault: ${method} ${path}: ${why}`, { cause })
    this.name = 'VaultNetworkError'
  }
}
