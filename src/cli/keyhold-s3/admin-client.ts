/**
 * The admin API client of `keyhold-s3 admin`: signed requests to an alias's `/minio/admin/v3`,
 * madmin-encrypted bodies both ways, and mc's error lines.
 *
 * @module
 */
import { decryptMadminData, encryptMadminData } from '../../s3/admin/madmin-crypto.js'
import { errorText, findAlias, signedRequest, type Alias } from './alias.js'
import { CliError } from '../errors.js'

/** An admin session on one alias. */
export interface AdminSession {
  alias: Alias
  insecure: boolean
}

/** One admin call. */
export interface AdminCallOptions {
  query?: Array<[string, string]>
  /** JSON sent madmin-encrypted with the alias's secret key. */
  enc?: unknown
  /** A plain body. */
  plain?: Buffer
  /** The answer is madmin-encrypted. */
  decrypt?: boolean
}

/** openSession finds the alias. Throws CliError when it does not exist. */
export function openSession(env: NodeJS.ProcessEnv, aliasName: string, insecure: boolean): AdminSession {
  return { alias: findAlias(env, aliasName), insecure }
}

/**
 * adminCall sends one admin request and returns the parsed JSON answer (undefined when empty).
 * Throws CliError `keyhold-s3: <ERROR> {what}. {server message}` for error answers or an unreachable server.
 */
export async function adminCall(s: AdminSession, what: string, method: string, path: string, opts: AdminCallOptions = {}): Promise<unknown> {
  const body = opts.enc !== undefined
    ? await encryptMadminData(s.alias.secretKey, Buffer.from(JSON.stringify(opts.enc), 'utf8'))
    : opts.plain ?? Buffer.alloc(0)
  const res = await signedRequest(s.alias, method, `/minio/admin/v3${path}`, opts.query ?? [], body, s.insecure)
  if (res.status >= 300) throw new CliError(`keyhold-s3: <ERROR> ${what}. ${errorText(res)}`)
  if (res.body.length === 0) return undefined
  let text: Buffer = res.body
  if (opts.decrypt) {
    try {
      text = await decryptMadminData(s.alias.secretKey, res.body)
    } catch {
      throw new CliError(`keyhold-s3: <ERROR> ${what}. The answer could not be decrypted with the alias's secret key.`)
    }
  }
  try {
    return JSON.parse(text.toString('utf8')) as unknown
  } catch {
    throw new CliError(`keyhold-s3: <ERROR> ${what}. The server sent an answer that is not JSON.`)
  }
}
