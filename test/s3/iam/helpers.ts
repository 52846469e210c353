/**
 * Test helpers for access control: a keyhold-s3 server over TLS with the IAM hooks, an S3 client
 * for any credentials, and a SigV4-signing admin client that speaks madmin's wire format.
 */
import { mkdtempSync, rmSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { S3Client } from '@aws-sdk/client-s3'
import { NodeHttpHandler } from '@smithy/node-http-handler'
import { Agent } from 'node:https'
import { decryptMadminData, encryptMadminData, MADMIN_PBKDF2_AES } from '../../../src/s3/admin/madmin-crypto.js'
import { createIam, type IamHooks } from '../../../src/s3/iam/index.js'
import { createS3Server, type S3Server } from '../../../src/s3/server.js'
import { canonicalQuery, canonicalRequest, hmac, sha256Hex, signingKey, stringToSign } from '../../../src/s3/auth/sigv4/canonical.js'
import { testPki } from '../../helpers/pki.js'
import { silentMessageLog } from '../../../src/lib/logger.js'

export const ROOT = { accessKey: 'keyholdroot', secretKey: 'keyholdroot-secret' }

/** A running server with IAM. */
export interface IamServer {
  url: string
  ca: string
  server: S3Server
  hooks: IamHooks
  dir: string
  close(): Promise<void>
}

/**
 * startIamServer starts keyhold-s3 on 127.0.0.1:0 over TLS with the IAM hooks. `responseAlgorithm` picks the
 * madmin algorithm of encrypted answers (the server's default is 2, PBKDF2; 0 and 1 are Argon2id).
 */
export async function startIamServer(opts: { responseAlgorithm?: number; corsAllowOrigins?: readonly string[] } = {}): Promise<IamServer> {
  const pki = await testPki()
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-s3-iam-'))
  const { corsAllowOrigins, ...iamOptions } = opts
  const hooks = createIam({ dataDir: dir, rootUser: ROOT.accessKey, rootPassword: ROOT.secretKey, ...iamOptions })
  const server = await createS3Server({
    dataDir: dir, rootUser: ROOT.accessKey, rootPassword: ROOT.secretKey,
    tls: { cert: pki.server.certPem, key: pki.server.keyPem },
    credentials: hooks.credentials, authorizer: hooks.authorizer, extraRoutes: hooks.extraRoutes,
    subresources: hooks.subresources, log: silentMessageLog, ...(corsAllowOrigins !== undefined ? { corsAllowOrigins } : {}),
  })
  return {
    url: server.url, ca: pki.ca.certPem, server, hooks, dir,
    async close() {
      await server.close()
      hooks.close()
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** s3Client returns an AWS SDK client for the server with the given credentials. */
export function s3Client(srv: IamServer, accessKeyId: string, secretAccessKey: string): S3Client {
  return new S3Client({
    endpoint: srv.url, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId, secretAccessKey },
    requestHandler: new NodeHttpHandler({ httpsAgent: new Agent({ ca: srv.ca }) }), maxAttempts: 1,
  })
}

/** An admin API answer. */
export interface AdminAnswer {
  status: number
  body: Buffer
  /** The body parsed as JSON (decrypted first when it is a madmin-encrypted body). */
  json?: unknown
}

/** AdminCall describes one admin request. */
export interface AdminCall {
  method: string
  path: string
  query?: Array<[string, string]>
  /** JSON to send madmin-encrypted with the caller's secret. */
  enc?: unknown
  /** A plain body. */
  plain?: string | Buffer
  /** Decrypt the answer with the caller's secret. */
  decrypt?: boolean
  userAgent?: string
}

/** adminCall signs and sends one admin request as madmin does (SigV4, service s3, us-east-1). */
export async function adminCall(srv: IamServer, creds: { accessKey: string; secretKey: string }, call: AdminCall): Promise<AdminAnswer> {
  const body = call.enc !== undefined
    ? await encryptMadminData(creds.secretKey, Buffer.from(JSON.stringify(call.enc)), MADMIN_PBKDF2_AES)
    : Buffer.from(call.plain ?? '')
  const url = new URL(srv.url)
  const amzDate = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')
  const date = amzDate.slice(0, 8)
  const path = `/minio/admin/v3${call.path}`
  const hash = sha256Hex(body)
  const headers: Record<string, string> = { host: url.host, 'x-amz-date': amzDate, 'x-amz-content-sha256': hash }
  const signed = Object.keys(headers).sort()
  const qs = canonicalQuery(call.query ?? [])
  const scope = `${date}/us-east-1/s3/aws4_request`
  const canonical = canonicalRequest(call.method, path, qs, signed.map((h) => `${h}:${headers[h]}\n`).join(''), signed, hash)
  const sig = hmac(signingKey(creds.secretKey, date, 'us-east-1', 's3'), stringToSign(amzDate, scope, canonical)).toString('hex')
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${creds.accessKey}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${sig}`
  headers['content-length'] = String(body.length)
  headers['user-agent'] = call.userAgent ?? 'MinIO (linux; amd64) madmin-go/3.0.109'
  const answer = await new Promise<{ status: number; body: Buffer }>((resolve, reject) => {
    const req = request({ host: url.hostname, port: url.port, method: call.method, path: path + (qs ? `?${qs}` : ''), headers, ca: srv.ca, timeout: 20_000 }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }))
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', reject)
    req.end(body)
  })
  let json: unknown
  if (answer.body.length > 0) {
    const text = call.decrypt && answer.status < 300 ? await decryptMadminData(creds.secretKey, answer.body) : answer.body
    try {
      json = JSON.parse(text.toString('utf8'))
    } catch {
      json = undefined
    }
  }
  return { ...answer, json }
}
