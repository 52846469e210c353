/**
 * `keyhold-s3 encrypt set sse-kms KEY ALIAS/BUCKET` (and `set sse-s3 ALIAS/BUCKET`, `info`, `clear`):
 * bucket default encryption, as `mc encrypt` does it through PutBucketEncryption.
 *
 * @module
 */
import { errorText, findAlias, signedRequest, splitTarget, wantsHelp, type CliIo } from './alias.js'
import { CliError } from '../errors.js'
import { terminalText } from '../../lib/terminal-text.js'

const USAGE = 'Usage: keyhold-s3 encrypt set sse-kms KEY ALIAS/BUCKET | set sse-s3 ALIAS/BUCKET | info ALIAS/BUCKET | clear ALIAS/BUCKET\n'

function configXml(algorithm: 'aws:kms' | 'AES256', key?: string): string {
  const keyXml = key === undefined ? '' : `<KMSMasterKeyID>${key.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</KMSMasterKeyID>`
  return '<ServerSideEncryptionConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Rule><ApplyServerSideEncryptionByDefault>' +
    `<SSEAlgorithm>${algorithm}</SSEAlgorithm>${keyXml}</ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>`
}

/** encryptCommand runs `encrypt ...`; returns the exit code, printing the server's message on failure. */
export async function encryptCommand(args: string[], io: CliIo): Promise<number> {
  const insecure = args.includes('--insecure')
  const rest = args.filter((a) => a !== '--insecure')
  const [verb, ...more] = rest
  let target: string | undefined
  let body: string | undefined
  let method = 'PUT'
  if (verb === 'set' && more[0] === 'sse-kms' && more.length === 3) {
    target = more[2]
    body = configXml('aws:kms', more[1])
  } else if (verb === 'set' && more[0] === 'sse-s3' && more.length === 2) {
    target = more[1]
    body = configXml('AES256')
  } else if ((verb === 'info' || verb === 'clear') && more.length === 1) {
    target = more[0]
    method = verb === 'info' ? 'GET' : 'DELETE'
  }
  if (wantsHelp(args)) {
    io.stdout(USAGE)
    return 0
  }
  if (target === undefined) {
    io.stderr(USAGE)
    return 2
  }
  const { alias, bucket } = splitTarget(target)
  try {
    if (bucket === '') throw new CliError('keyhold-s3: <ERROR> A bucket is required.')
    const res = await signedRequest(findAlias(io.env, alias), method, `/${bucket}`, [['encryption', '']], Buffer.from(body ?? ''), insecure)
    if (verb === 'info') {
      if (res.status === 404) {
        io.stdout(`Auto encryption is not enabled for ${target}\n`)
        return 0
      }
      if (res.status !== 200) throw new CliError(`keyhold-s3: <ERROR> Unable to get encryption info: ${errorText(res)}`)
      const xml = res.body.toString('utf8')
      const alg = /<SSEAlgorithm>([^<]*)</.exec(xml)?.[1] ?? ''
      const key = /<KMSMasterKeyID>([^<]*)</.exec(xml)?.[1]
      // The key id is the server's text: escaped.
      io.stdout(terminalText(`Auto encryption 'sse-${alg === 'aws:kms' ? 'kms' : 's3'}' is enabled${key !== undefined ? ` with KeyID: ${key}` : ''}`) + '\n')
      return 0
    }
    if (res.status >= 300) throw new CliError(`keyhold-s3: <ERROR> Unable to ${verb === 'set' ? 'set' : 'clear'} auto encryption: ${errorText(res)}`)
    io.stdout(verb === 'set'
      ? `Auto encryption configuration has been set successfully for ${target}\n`
      : `Auto encryption configuration has been cleared successfully.\n`)
    return 0
  } catch (err) {
    io.stderr(`${terminalText((err as Error).message)}\n`)
    return 1
  }
}
