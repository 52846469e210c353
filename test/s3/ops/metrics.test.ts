import { createHmac, randomBytes } from 'node:crypto'
import { request } from 'node:https'
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { rootCredentials } from '../../../src/s3/defaults.js'
import type { Credential } from '../../../src/s3/extensions.js'
import { signPrometheusToken } from '../../../src/s3/ops/prometheus-token.js'
import { ROOT_PASSWORD, ROOT_USER, s3error, startS3, type S3Fixture } from '../../helpers/s3.js'

const logLines: string[] = []
const reader: Credential = { accessKey: 'reader', secretKey: 'reader-secret-123', principal: { kind: 'user', accessKey: 'reader' } }
let fx: S3Fixture
let open: S3Fixture

function call(f: S3Fixture, path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; type?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${f.server.url}${path}`, { ca: f.pki.ca.certPem, agent: false, headers }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, type: res.headers['content-type'] }))
    })
    req.on('error', reject)
    req.end()
  })
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url')
function forge(header: object, claims: object, secret: string, alg: 'sha256' | 'sha512' = 'sha512'): string {
  const unsigned = `${b64(header)}.${b64(claims)}`
  return `${unsigned}.${createHmac(alg, secret).update(unsigned).digest('base64url')}`
}
const later = () => Math.floor(Date.now() / 1000) + 3600

beforeAll(async () => {
  const root = rootCredentials(ROOT_USER, ROOT_PASSWORD)
  fx = await startS3({
    accessLog: (l) => logLines.push(l),
    credentials: { lookup: async (k) => (k === 'reader' ? reader : root.lookup(k)) },
  })
  open = await startS3({ publicMetrics: true })
  const c = fx.client()
  await c.send(new CreateBucketCommand({ Bucket: 'metrics' }))
  await c.send(new CreateBucketCommand({ Bucket: 'empty-bucket' }))
  await c.send(new PutObjectCommand({ Bucket: 'metrics', Key: 'a', Body: randomBytes(1000) }))
  await c.send(new PutObjectCommand({ Bucket: 'metrics', Key: 'b/c', Body: randomBytes(2345) }))
  await c.send(new GetObjectCommand({ Bucket: 'metrics', Key: 'a' })).then((r) => r.Body!.transformToByteArray())
  await s3error(c.send(new GetObjectCommand({ Bucket: 'metrics', Key: 'missing' })))
})
afterAll(async () => {
  await fx?.close()
  await open?.close()
})

describe('Prometheus metrics', () => {
  it('serve MinIO\'s names to a bearer token from `admin prometheus generate`', async () => {
    const token = signPrometheusToken(ROOT_USER, ROOT_PASSWORD, later())
    const r = await call(fx, '/minio/v2/metrics/cluster', { authorization: `Bearer ${token}` })
    expect(r.status).toBe(200)
    expect(r.type).toMatch(/^text\/plain; version=0\.0\.4/)
    expect(r.body).toContain('minio_s3_requests_total{api="PutObject"} 2')
    expect(r.body).toContain('minio_s3_requests_4xx_errors_total{api="GetObject"} 1')
    expect(r.body).toContain('minio_s3_requests_errors_total{api="GetObject"} 1')
    expect(r.body).toContain('minio_bucket_usage_object_total{bucket="metrics"} 2')
    expect(r.body).toContain('minio_bucket_usage_total_bytes{bucket="metrics"} 3345')
    expect(r.body).toContain('minio_bucket_usage_object_total{bucket="empty-bucket"} 0')
    expect(r.body).toContain('minio_cluster_usage_object_total 2')
    expect(r.body).toMatch(/minio_s3_requests_ttfb_seconds_distribution\{api="PutObject",le="\+Inf"\} 2/)
    expect(r.body).toMatch(/minio_s3_traffic_received_bytes \d{4,}/)
    expect(r.body).toMatch(/minio_s3_traffic_sent_bytes \d{3,}/)
    expect(r.body).toMatch(/minio_s3_requests_inflight_total \d/)
    expect(r.body).toMatch(/minio_node_process_uptime_seconds \d/)
    expect(r.body).toMatch(/minio_node_process_resident_memory_bytes \d/)
    const node = await call(fx, '/minio/v2/metrics/node', { authorization: `Bearer ${token}` })
    expect(node.status).toBe(200)
    expect(node.body).toContain('minio_node_process_cpu_total_seconds')
    expect(node.body).not.toContain('minio_bucket_usage')
  })

  it('refuse what an attacker tries first, with MinIO\'s 403 AccessDenied JSON', async () => {
    const bad = {
      none: '',
      'no bearer': signPrometheusToken(ROOT_USER, ROOT_PASSWORD, later()),
      'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: ROOT_USER, iss: 'prometheus', exp: later() })}.`,
      'wrong secret': forge({ alg: 'HS512' }, { sub: ROOT_USER, iss: 'prometheus', exp: later() }, 'not-the-secret'),
      'claims swapped after signing': (() => {
        const t = signPrometheusToken('reader', reader.secretKey, later()).split('.')
        return `${t[0]}.${b64({ exp: later(), sub: ROOT_USER, iss: 'prometheus' })}.${t[2]}`
      })(),
      expired: signPrometheusToken(ROOT_USER, ROOT_PASSWORD, Math.floor(Date.now() / 1000) - 10),
      'no expiry': forge({ alg: 'HS512' }, { sub: ROOT_USER, iss: 'prometheus' }, ROOT_PASSWORD),
      'other issuer': forge({ alg: 'HS512' }, { sub: ROOT_USER, iss: 'console', exp: later() }, ROOT_PASSWORD),
      'unknown key': signPrometheusToken('nobody', 'whatever-secret', later()),
      'user without admin:Prometheus': signPrometheusToken('reader', reader.secretKey, later()),
      oversized: forge({ alg: 'HS512' }, { sub: ROOT_USER, iss: 'prometheus', exp: later(), pad: 'x'.repeat(9000) }, ROOT_PASSWORD),
      // An algorithm named after an Object.prototype member once reached createHmac and answered 500.
      'alg constructor': forge({ alg: 'constructor' }, { sub: ROOT_USER, iss: 'prometheus', exp: later() }, ROOT_PASSWORD),
      'alg toString': forge({ alg: 'toString' }, { sub: ROOT_USER, iss: 'prometheus', exp: later() }, ROOT_PASSWORD),
    }
    for (const [name, token] of Object.entries(bad)) {
      const headers: Record<string, string> = name === 'none' ? {} : { authorization: name === 'no bearer' ? token : `Bearer ${token}` }
      const r = await call(fx, '/minio/v2/metrics/cluster', headers)
      expect([name, r.status]).toEqual([name, 403])
      expect(JSON.parse(r.body)).toMatchObject({ Code: 'AccessDenied', Message: 'Access Denied.', Resource: '/minio/v2/metrics/cluster' })
    }
    // HS256 is accepted as MinIO's jwt library does.
    const hs256 = forge({ alg: 'HS256' }, { sub: ROOT_USER, iss: 'prometheus', exp: later() }, ROOT_PASSWORD, 'sha256')
    expect((await call(fx, '/minio/v2/metrics/node', { authorization: `Bearer ${hs256}` })).status).toBe(200)
  })

  it('are public with MINIO_PROMETHEUS_AUTH_TYPE=public; other /minio/v2/metrics paths are S3 paths', async () => {
    expect((await call(open, '/minio/v2/metrics/cluster')).status).toBe(200)
    expect((await call(open, '/minio/v2/metrics/bogus')).body).toContain('<Code>AccessDenied</Code>')
  })
})

describe('access log', () => {
  it('one JSON line per request with the API, bucket, object, status, bytes, duration, key, address and request id', async () => {
    const puts = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((e) => e.api === 'PutObject')
    expect(puts).toHaveLength(2)
    expect(puts[0]).toMatchObject({ method: 'PUT', bucket: 'metrics', object: 'a', status: 200, accessKey: ROOT_USER, remoteAddress: '127.0.0.1' })
    expect(puts[0]!.rx).toBe(1000)
    expect(typeof puts[0]!.durationMs).toBe('number')
    expect(puts[0]!.requestId).toMatch(/^[0-9A-F]{16}$/)
    const missing = logLines.map((l) => JSON.parse(l) as Record<string, unknown>).find((e) => e.object === 'missing')
    expect(missing).toMatchObject({ api: 'GetObject', status: 404 })
  })

  it('writes a hostile key name as JSON escapes: no raw bidi or C1 control reaches the line, the parsed value is the key', async () => {
    const key = 'invoice\u202efdp.exe\u009b2J'
    await s3error(fx.client().send(new GetObjectCommand({ Bucket: 'metrics', Key: key })))
    const line = logLines.find((l) => l.includes('invoice'))!
    expect(line).not.toMatch(/[\u0080-\u009f\u202e]/u)
    expect((JSON.parse(line) as { object: string }).object).toBe(key)
  })

  it('never holds a presigned signature, a secret or an SSE-C key', async () => {
    const c = fx.client()
    const url = await getSignedUrl(c, new GetObjectCommand({ Bucket: 'metrics', Key: 'a' }), { expiresIn: 60 })
    const signature = new URL(url).searchParams.get('X-Amz-Signature')!
    const got = await new Promise<number>((resolve, reject) => {
      request(url, { ca: fx.pki.ca.certPem, agent: false }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      }).on('error', reject).end()
    })
    expect(got).toBe(200)
    const key = randomBytes(32)
    await s3error(c.send(new GetObjectCommand({
      Bucket: 'metrics', Key: 'a', SSECustomerAlgorithm: 'AES256', SSECustomerKey: key.toString('base64'),
    }))).catch(() => undefined)
    const all = logLines.join('')
    expect(all).not.toContain(signature)
    expect(all).not.toContain(ROOT_PASSWORD)
    expect(all).not.toContain(key.toString('base64'))
    expect(all).not.toContain('X-Amz-Credential')
  })
})
