/**
 * `keyhold-s3 admin kms key status ALIAS [KEY]`: MinIO's key check (generate, decrypt, compare)
 * through `/minio/kms/v1/key/status`, printed as `mc admin kms key status` does.
 *
 * @module
 */
import { errorText, findAlias, signedRequest, wantsHelp, type CliIo } from './alias.js'
import { CliError } from '../errors.js'
import { terminalBlock, terminalJson, terminalText } from '../../lib/terminal-text.js'

/** KMS_USAGE is the usage text of `admin kms`. */
export const KMS_USAGE = 'Usage: keyhold-s3 admin kms key status ALIAS [KEY] [--insecure] [--json]\n'

/** adminKmsCommand runs `admin kms key status ALIAS [KEY] [--json]`; returns the exit code (1 when the check fails). */
export async function adminKmsCommand(args: string[], io: CliIo): Promise<number> {
  const json = args.includes('--json')
  const insecure = args.includes('--insecure')
  const rest = args.filter((a) => !a.startsWith('--'))
  if (wantsHelp(args)) {
    io.stdout(KMS_USAGE)
    return 0
  }
  if (rest[0] !== 'kms' || rest[1] !== 'key' || rest[2] !== 'status' || rest.length < 4 || rest.length > 5) {
    io.stderr(KMS_USAGE)
    return 2
  }
  const [, , , aliasName = '', key = ''] = rest
  try {
    const res = await signedRequest(findAlias(io.env, aliasName), 'GET', '/minio/kms/v1/key/status', [['key-id', key]], Buffer.alloc(0), insecure)
    if (res.status !== 200) throw new CliError(`keyhold-s3: <ERROR> Failed to get status information: ${errorText(res)}`)
    const s = JSON.parse(res.body.toString('utf8')) as { 'key-id': string; 'encryption-error'?: string; 'decryption-error'?: string }
    const ok = s['encryption-error'] === undefined && s['decryption-error'] === undefined
    if (json) {
      io.stdout(terminalJson({ status: ok ? 'success' : 'error', key: s['key-id'], encryptionError: s['encryption-error'], decryptionError: s['decryption-error'] }) + '\n')
    } else {
      const line = (what: string, err: string | undefined) => (err === undefined ? `   - ${what} ✔` : `   - ${what} ✗ (${err})`)
      const dec = s['encryption-error'] !== undefined ? undefined : s['decryption-error']
      // The key id and the errors are the KMS's text, passed on by the server: each line is escaped.
      io.stdout(terminalBlock([`Key: ${s['key-id']}`, line('Encryption', s['encryption-error']), ...(s['encryption-error'] === undefined ? [line('Decryption', dec)] : [])]))
    }
    return ok ? 0 : 1
  } catch (err) {
    io.stderr(`${terminalText((err as Error).message)}\n`)
    return 1
  }
}
