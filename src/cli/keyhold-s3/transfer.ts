/**
 * Streaming signed requests for the everyday object commands (`cp`, `cat`): SigV4 with `UNSIGNED-PAYLOAD` so a
 * body of any size streams without being read twice, and a progress bar on stderr for large copies.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import type { Readable } from 'node:stream'
import { rootCertificates } from 'node:tls'
import { awsEncode, canonicalQuery, canonicalRequest, hmac, signingKey, stringToSign } from '../../s3/auth/sigv4/canonical.js'
import { type Alias } from './alias.js'
import { CliError } from '../errors.js'

/** PROGRESS_MIN_BYTES: copies at least this large show a progress bar (when stderr is a terminal or asked). */
export const PROGRESS_MIN_BYTES = 8 * 1024 * 1024

/**
 * streamRequest sends one signed request whose body (if any) streams from `body` with `length` bytes, and
 * resolves the response unread. Throws CliError when the server cannot be reached.
 */
export function streamRequest(alias: Alias, method: string, path: string, opts: { query?: Array<[string, string]>; body?: Readable; length?: number; insecure?: boolean } = {}): Promise<IncomingMessage> {
  const url = new URL(alias.url)
  const now = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')
  const date = now.slice(0, 8)
  const region = 'us-east-1'
  const payloadHash = 'UNSIGNED-PAYLOAD'
  const uri = awsEncode(path, true)
  const headers: Record<string, string> = { host: url.host, 'x-amz-date': now, 'x-amz-content-sha256': payloadHash }
  const signed = Object.keys(headers).sort()
  const qs = canonicalQuery(opts.query ?? [])
  const scope = `${date}/${region}/s3/aws4_request`
  const canonical = canonicalRequest(method, uri, qs, signed.map((h) => `${h}:${headers[h]}\n`).join(''), signed, payloadHash)
  const signature = hmac(signingKey(alias.secretKey, date, region, 's3'), stringToSign(now, scope, canonical)).toString('hex')
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${alias.accessKey}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${signature}`
  headers['content-length'] = String(opts.length ?? 0)
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = send({
      host: url.hostname, port: url.port, method, path: uri + (qs === '' ? '' : `?${qs}`), headers,
      rejectUnauthorized: opts.insecure !== true, timeout: 60_000,
      ...(alias.ca !== undefined && alias.ca.length > 0 ? { ca: [...rootCertificates, ...alias.ca] } : {}),
    }, resolve)
    req.on('timeout', () => req.destroy(new Error('request timed out')))
    req.on('error', (err) => reject(new CliError(`keyhold-s3: <ERROR> Unable to reach ${alias.url}: ${err.message}`)))
    if (opts.body === undefined) req.end()
    else opts.body.pipe(req)
  })
}

/** readAll reads a response body. Rejects when the stream fails. */
export async function readAll(res: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const c of res) chunks.push(c as Buffer)
  return Buffer.concat(chunks)
}

/** progressBar returns a function that renders `done/total` as mc's bar on one line of `write`. Throws nothing. */
export function progressBar(label: string, total: number, write: (s: string) => void): (done: number, final?: boolean) => void {
  let last = -1
  const started = Date.now()
  return (done, final = false) => {
    const pct = total === 0 ? 100 : Math.floor((done / total) * 100)
    if (pct === last && !final) return
    last = pct
    const width = 30
    const filled = Math.round((pct / 100) * width)
    const secs = Math.max(0.001, (Date.now() - started) / 1000)
    const rate = `${(done / secs / 1048576).toFixed(1)} MiB/s`
    write(`\r${label} [${'='.repeat(filled)}${' '.repeat(width - filled)}] ${String(pct).padStart(3)}% ${(done / 1048576).toFixed(1)}/${(total / 1048576).toFixed(1)} MiB ${rate}${final ? '\n' : ''}`)
  }
}
