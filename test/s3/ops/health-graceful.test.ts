import { randomBytes } from 'node:crypto'
import { request } from 'node:https'
import { connect } from 'node:tls'
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import { afterAll, describe, expect, it } from 'vitest'
import { bodyBytes, startS3, type S3Fixture } from '../../helpers/s3.js'
import { openDatabase } from '../../../src/s3/storage/db.js'

const open: S3Fixture[] = []
afterAll(async () => {
  for (const fx of open) await fx.close()
})

async function start(dataDir?: string): Promise<S3Fixture> {
  const fx = await startS3(dataDir === undefined ? {} : { dataDir })
  open.push(fx)
  return fx
}

/** get sends an unauthenticated request and resolves status, headers and body. */
function call(fx: S3Fixture, method: string, path: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${fx.server.url}${path}`, { method, ca: fx.pki.ca.certPem, agent: false }, (res) => {
      let body = ''
      res.on('data', (c: Buffer) => (body += c.toString()))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }))
    })
    req.on('error', reject)
    req.end()
  })
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('MinIO health checks', () => {
  it('live, ready and cluster answer unauthenticated with MinIO\'s status codes and headers; others fall through to S3', async () => {
    const fx = await start()
    for (const method of ['GET', 'HEAD']) {
      expect((await call(fx, method, '/minio/health/live')).status).toBe(200)
      expect((await call(fx, method, '/minio/health/ready')).status).toBe(200)
      const cluster = await call(fx, method, '/minio/health/cluster')
      expect([cluster.status, cluster.headers['x-minio-write-quorum'], cluster.body]).toEqual([200, '1', ''])
      expect((await call(fx, method, '/minio/health/cluster/read')).headers['x-minio-read-quorum']).toBe('1')
      // Taking the only node down for maintenance loses availability: MinIO answers 412.
      expect((await call(fx, method, '/minio/health/cluster?maintenance=true')).status).toBe(412)
    }
    // Not a health check: the S3 router answers it, as MinIO's mux does (an unsigned request is refused).
    const other = await call(fx, 'GET', '/minio/health/other')
    expect(other.status).toBe(403)
    expect(other.body).toContain('<Code>AccessDenied</Code>')
    expect((await call(fx, 'PUT', '/minio/health/live')).status).toBe(403)
  })
})

describe('graceful stop', () => {
  it('an AWS SDK upload in flight finishes within the grace period and the object survives a restart', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'keyhold-s3-graceful-'))
    const fx = await start(dataDir)
    const c = fx.client()
    await c.send(new CreateBucketCommand({ Bucket: 'graceful' }))
    const data = randomBytes(2 * 1024 * 1024)
    const body = new PassThrough()
    body.write(data.subarray(0, 1024 * 1024))
    const put = c.send(new PutObjectCommand({ Bucket: 'graceful', Key: 'k', Body: body, ContentLength: data.length }))
    await until(() => fx.server.inflight === 1)
    const stopping = fx.server.close({ graceMs: 10_000 })
    await new Promise((r) => setTimeout(r, 300))
    body.end(data.subarray(1024 * 1024))
    expect((await put).ETag).toBeDefined()
    const report = await stopping
    expect([report.finished, report.cut, report.settled]).toEqual([1, 0, true])
    const again = await start(dataDir)
    expect(again.server.recovered).toBe(0)
    expect((await bodyBytes(again.client().send(new GetObjectCommand({ Bucket: 'graceful', Key: 'k' })))).equals(data)).toBe(true)
  })

  it('an upload that cannot finish is cut at the grace period\'s end and leaves nothing behind; the database closes last', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'keyhold-s3-graceful-'))
    const fx = await start(dataDir)
    const c = fx.client()
    await c.send(new CreateBucketCommand({ Bucket: 'graceful' }))
    const body = new PassThrough()
    body.write(randomBytes(512 * 1024))
    const put = c.send(new PutObjectCommand({ Bucket: 'graceful', Key: 'never', Body: body, ContentLength: 4 * 1024 * 1024 }))
    const failed = put.then(() => 'stored', () => 'failed')
    await until(() => fx.server.inflight === 1)
    const started = Date.now()
    const report = await fx.server.close({ graceMs: 400 })
    expect(Date.now() - started).toBeLessThan(8_000)
    expect([report.finished, report.cut, report.settled]).toEqual([0, 1, true])
    expect(await failed).toBe('failed')
    body.destroy()
    // The handler removed its blob before the database closed: nothing pending, nothing for start-up to clean.
    const db = openDatabase(dataDir)
    expect(db.prepare('SELECT count(*) AS n FROM pending_blobs').get()).toEqual({ n: 0 })
    expect(db.prepare("SELECT count(*) AS n FROM objects WHERE key = 'never'").get()).toEqual({ n: 0 })
    db.close()
    expect((await start(dataDir)).server.recovered).toBe(0)
  })

  it('a pipelining client gets every answer whole while the server stops, and the connection ends cleanly', async () => {
    const fx = await start()
    const c = fx.client()
    await c.send(new CreateBucketCommand({ Bucket: 'graceful' }))
    const data = randomBytes(8 * 1024 * 1024)
    await c.send(new PutObjectCommand({ Bucket: 'graceful', Key: 'big', Body: data }))
    const url = new URL(await getSignedUrl(c, new GetObjectCommand({ Bucket: 'graceful', Key: 'big' }), { expiresIn: 600 }))
    const head = `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n\r\n`
    const socket = connect({ host: url.hostname, port: Number(url.port), ca: fx.pki.ca.certPem })
    await new Promise((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject))
    socket.pause() // a slow reader: the answers back up in the server's socket
    socket.write(head)
    await until(() => fx.server.inflight === 1)
    // Two more, pipelined behind it before the stop: node:http holds their answers until the first is out.
    for (let i = 0; i < 2; i++) {
      await new Promise((r) => setTimeout(r, 100))
      socket.write(head)
    }
    const stopping = fx.server.close({ graceMs: 20_000 })
    const received: Buffer[] = []
    let ended = false
    let error: string | undefined
    socket.on('data', (chunk: Buffer) => {
      received.push(chunk)
      // Keep reading slowly, so that each answer's end is still queued when its handler is done.
      socket.pause()
      setTimeout(() => socket.resume(), 1)
    })
    socket.on('end', () => (ended = true))
    socket.on('error', (err: NodeJS.ErrnoException) => (error = err.code ?? err.message))
    const closed = new Promise((resolve) => socket.once('close', resolve))
    socket.resume()
    const report = await stopping
    await closed
    expect(error).toBeUndefined()
    expect(ended).toBe(true)
    let rest = Buffer.concat(received)
    for (let i = 0; i < 3; i++) {
      const split = rest.indexOf('\r\n\r\n')
      const headers = rest.subarray(0, split).toString()
      expect(headers).toMatch(/^HTTP\/1\.1 200 OK\r\n/)
      // The last answer says the connection closes; the ones before it were already under way.
      if (i === 2) expect(headers).toMatch(/\r\nConnection: close\r\n/i)
      expect(rest.subarray(split + 4, split + 4 + data.length).equals(data)).toBe(true)
      rest = rest.subarray(split + 4 + data.length)
    }
    expect(rest.length).toBe(0)
    expect([report.cut, report.settled]).toEqual([0, true])
  }, 60_000)

  it('readiness and cluster answer 503 while stopping', async () => {
    const fx = await start()
    const c = fx.client()
    await c.send(new CreateBucketCommand({ Bucket: 'graceful' }))
    const body = new PassThrough()
    body.write(randomBytes(1024))
    const put = c.send(new PutObjectCommand({ Bucket: 'graceful', Key: 'slow', Body: body, ContentLength: 2048 })).catch(() => undefined)
    await until(() => fx.server.inflight === 1)
    // Open a connection before the listener closes, then ask on it while the stop is under way.
    const probe = new Promise<number>((resolve, reject) => {
      const req = request(`${fx.server.url}/minio/health/ready`, { ca: fx.pki.ca.certPem, agent: false }, (res) => {
        res.resume()
        resolve(res.statusCode ?? 0)
      })
      req.on('error', reject)
      req.on('socket', (s) => s.once('secureConnect', () => setTimeout(() => req.end(), 200)))
    })
    await new Promise((r) => setTimeout(r, 100))
    const stopping = fx.server.close({ graceMs: 3_000 })
    expect(await probe).toBe(503)
    body.end(randomBytes(1024))
    await put
    await stopping
  })
})
