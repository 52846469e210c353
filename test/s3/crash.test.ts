import type { ChildProcess } from 'node:child_process'
import { createCipheriv, createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import {
  CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand,
} from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'
import { afterAll, describe, expect, it } from 'vitest'
import { testPki } from '../helpers/pki.js'
import { processClient, startS3Process, writeCerts } from '../helpers/s3-process.js'

const work = mkdtempSync(join(tmpdir(), 'keyhold-s3-crash-'))
const procs: ChildProcess[] = []

afterAll(() => {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL')
  rmSync(work, { recursive: true, force: true })
})

/** Deterministic content for (key, version): whoever reads it back can check it is whole. */
function content(key: string, version: number, size: number): Buffer {
  // An AES-CTR keystream keyed by (key, version): fast, and any mix-up of versions or truncation shows.
  const seed = createHash('sha256').update(`${key}:${version}`).digest()
  return createCipheriv('aes-256-ctr', seed, Buffer.alloc(16)).update(Buffer.alloc(size))
}

function sizeOf(key: string, version: number): number {
  const n = createHash('md5').update(`${key}/${version}`).digest().readUInt32BE(0)
  // Mostly small objects, some spanning several write chunks, some multipart (≥ 5 MiB parts).
  if (key.startsWith('mp')) return 11 * 1024 * 1024 + (n % 100_000)
  return n % 3 === 0 ? 0 : n % (3 * 1024 * 1024)
}

describe('crash safety', () => {
  it('kill -9 during concurrent uploads leaves every listed object whole', async () => {
    const pki = await testPki()
    const certsDir = writeCerts(pki, join(work, 'certs'))
    const dataDir = join(work, 'data')
    const first = await startS3Process(dataDir, certsDir, procs)
    const s3 = processClient(first.url, pki)
    await s3.send(new CreateBucketCommand({ Bucket: 'crash' }))
    let stop = false
    let completed = 0
    const writer = async (w: number): Promise<void> => {
      for (let i = 0; i < 200 && !stop; i++) {
        // Keys repeat so that overwrites race with the kill too.
        const key = w === 0 ? `mp-${i % 3}` : `k-${w}-${i % 5}`
        const version = i
        const body = content(key, version, sizeOf(key, version))
        try {
          if (key.startsWith('mp')) {
            await new Upload({ client: s3, params: { Bucket: 'crash', Key: key, Body: body, Metadata: { v: String(version) } }, partSize: 5 * 1024 * 1024, queueSize: 2 }).done()
          } else {
            await s3.send(new PutObjectCommand({ Bucket: 'crash', Key: key, Body: body, Metadata: { v: String(version) } }))
          }
          completed++
        } catch {
          return
        }
      }
    }
    const writers = Array.from({ length: 6 }, (_, w) => writer(w))
    // Kill once uploads are flowing (bounded wait: the machine may be busy), at a moment unrelated to them.
    for (let i = 0; i < 200 && completed < 4; i++) await new Promise((r) => setTimeout(r, 100))
    await new Promise((r) => setTimeout(r, 300 + Math.floor(Math.random() * 700)))
    first.proc.kill('SIGKILL')
    stop = true
    await Promise.all(writers)
    s3.destroy()
    expect(completed).toBeGreaterThan(0)

    const second = await startS3Process(dataDir, certsDir, procs)
    const s3b = processClient(second.url, pki)
    const listed = await s3b.send(new ListObjectsV2Command({ Bucket: 'crash' }))
    const objects = listed.Contents ?? []
    expect(objects.length).toBeGreaterThan(0)
    for (const o of objects) {
      const got = await s3b.send(new GetObjectCommand({ Bucket: 'crash', Key: o.Key! }))
      const version = Number(got.Metadata?.v)
      const body = Buffer.from(await got.Body!.transformToByteArray())
      expect(body.equals(content(o.Key!, version, sizeOf(o.Key!, version))), o.Key).toBe(true)
    }
    s3b.destroy()
    second.proc.kill('SIGTERM')
    await new Promise((r) => second.proc.once('exit', r))

    // Start-up removed every unfinished blob: the files on disk are exactly the referenced ones.
    const db = new Database(join(dataDir, 'keyhold-s3.db'), { readonly: true })
    const referenced = new Set((db.prepare('SELECT blob FROM object_parts UNION SELECT blob FROM upload_parts').all() as Array<{ blob: string }>).map((r) => r.blob))
    const pending = (db.prepare('SELECT count(*) AS n FROM pending_blobs').get() as { n: number }).n
    db.close()
    const files = readdirSync(join(dataDir, 'blobs')).flatMap((d) => readdirSync(join(dataDir, 'blobs', d)))
    expect(pending).toBe(0)
    expect(new Set(files)).toEqual(referenced)
  }, 180_000)
})
