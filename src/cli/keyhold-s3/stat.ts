/**
 * `keyhold-s3 stat ALIAS/BUCKET/OBJECT [--json]`: an object's metadata with its encryption, as
 * `mc stat` shows it (`Encryption: SSE-KMS (arn:aws:kms:KEY)`).
 *
 * @module
 */
import { findAlias, signedRequest, splitTarget, wantsHelp, type CliIo } from './alias.js'
import { CliError } from '../errors.js'
import { terminalBlock, terminalJson, terminalText } from '../../lib/terminal-text.js'

function one(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v
}

const USAGE = 'Usage: keyhold-s3 stat [--json] [--insecure] ALIAS/BUCKET/OBJECT\n'

/** statCommand runs `stat`; returns the exit code. */
export async function statCommand(args: string[], io: CliIo): Promise<number> {
  const json = args.includes('--json')
  const insecure = args.includes('--insecure')
  const targets = args.filter((a) => !a.startsWith('--'))
  if (wantsHelp(args)) {
    io.stdout(USAGE)
    return 0
  }
  if (targets.length !== 1) {
    io.stderr(USAGE)
    return 2
  }
  const { alias, bucket, object } = splitTarget(targets[0]!)
  try {
    if (bucket === '' || object === '') throw new CliError('keyhold-s3: <ERROR> An object path ALIAS/BUCKET/OBJECT is required.')
    const res = await signedRequest(findAlias(io.env, alias), 'HEAD', `/${bucket}/${object}`, [], Buffer.alloc(0), insecure)
    if (res.status === 404) throw new CliError(`keyhold-s3: <ERROR> Unable to stat \`${targets[0]}\`. Object does not exist.`)
    if (res.status !== 200) throw new CliError(`keyhold-s3: <ERROR> Unable to stat \`${targets[0]}\`. HTTP ${res.status}.`)
    const h = res.headers
    const sse = one(h['x-amz-server-side-encryption'])
    const kmsKey = one(h['x-amz-server-side-encryption-aws-kms-key-id'])
    const ssec = one(h['x-amz-server-side-encryption-customer-algorithm'])
    const encryption = sse === 'aws:kms' ? `SSE-KMS (${kmsKey ?? ''})` : sse === 'AES256' ? 'SSE-S3' : ssec !== undefined ? 'SSE-C' : undefined
    const size = Number(one(h['content-length']) ?? 0)
    const etag = (one(h.etag) ?? '').replace(/"/g, '')
    const metadata: Record<string, string> = {}
    for (const [k, v] of Object.entries(h)) {
      if (k === 'content-type' || k.startsWith('x-amz-meta-') || k.startsWith('x-amz-server-side-encryption')) metadata[k] = one(v) ?? ''
    }
    if (json) {
      io.stdout(terminalJson({ status: 'success', name: object, lastModified: one(h['last-modified']), size, etag, type: 'file', metadata, encryption }) + '\n')
      return 0
    }
    const lines = [
      `Name      : ${object}`,
      `Date      : ${one(h['last-modified']) ?? ''}`,
      `Size      : ${size} B`,
      `ETag      : ${etag}`,
      'Type      : file',
      'Metadata  :',
      ...Object.entries(metadata).map(([k, v]) => `  ${k.replace(/(^|-)([a-z])/g, (_m, d: string, c: string) => d + c.toUpperCase())}: ${v}`),
    ]
    if (encryption !== undefined) lines.push(`Encryption: ${encryption}`)
    // Headers and metadata are the server's text: each line is escaped.
    io.stdout(terminalBlock(lines))
    return 0
  } catch (err) {
    io.stderr(`${terminalText((err as Error).message)}\n`)
    return 1
  }
}
