import type { ChildProcess } from 'node:child_process'
import { createCipheriv, createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import Database from 'better-sqlite3'
import {
  CreateBucketCommand, DeleteObjectCommand, GetObjectCommand, ListObjectVersionsCommand, PutBucketVersioningCommand,
  PutObjectCommand, type S3Client,
} from '@aws-sdk/client-s3'
import { afterAll, describe, expect, it } from 'vitest'
import { testPki } from '../helpers/pki.js'
import { processClient, startS3Process, writeCerts } from '../helpers/s3-process.js'
import { s3error } from '../helpers/s3.js'

const work = mkdtempSync(join(tmpdir(), 'keyhold-s3-vcrash-'))
const procs: ChildProcess[] = []

afterAll(() => {
  for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL')
  rmSync(work, { recursive: true, force: true })
})

/** Deterministic content for a write tag: whoever reads it back can check it is whole and the right version. */
function content(tag: string): Buffer {
  const seed = createHash('sha256').update(tag).digest()
  const n = seed.readUInt32BE(0)
  const size = n % 4 === 0 ? 0 : n % (2 * 1024 * 1024)
  return createCipheriv('aes-256-ctr', seed, Buffer.alloc(16)).update(Buffer.alloc(size))
}

interface Listed { key: string; versionId: string; isLatest: boolean; marker: boolean }

async function listAll(s3: S3Client, Bucket: string): Promise<Listed[]> {
  const all: Listed[] = []
  let KeyMarker: string | undefined
  let VersionIdMarker: string | undefined
  for (let page = 0; page < 1000; page++) {
    const out = await s3.send(new ListObjectVersionsCommand({ Bucket, KeyMarker, VersionIdMarker, MaxKeys: 50 }))
    for (const v of out.Versions ?? []) all.push({ key: v.Key!, versionId: v.VersionId!, isLatest: v.IsLatest!, marker: false })
    for (const d of out.DeleteMarkers ?? []) all.push({ key: d.Key!, versionId: d.VersionId!, isLatest: d.IsLatest!, marker: true })
    if (out.IsTruncated !== true) return all
    KeyMarker = out.NextKeyMarker
    VersionIdMarker = out.NextVersionIdMarker
  }
  throw new Error('too many pages')
}

describe('versioning crash safety', () => {
  it('kill -9 during versioned PUTs and DELETEs: every acknowledged version and marker survives whole, none is torn', async () => {
    const pki = await testPki()
    const certsDir = writeCerts(pki, join(work, 'certs'))
    const dataDir = join(work, 'data')
    const first = await startS3Process(dataDir, certsDir, procs)
    const s3 = processClient(first.url, pki)
    await s3.send(new CreateBucketCommand({ Bucket: 'vcrash' }))
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'vcrash', VersioningConfiguration: { Status: 'Enabled' } }))
    const acked = new Map<string, { key: string; tag?: string }>()
    const removed = new Set<string>()
    // A permanent delete cut short by the kill may or may not have been applied: its version is not checked.
    const uncertain = new Set<string>()
    let stop = false
    let completed = 0
    const writer = async (w: number): Promise<void> => {
      const mine: Array<{ key: string; versionId: string }> = []
      for (let i = 0; i < 300 && !stop; i++) {
        const key = `k-${w}-${i % 4}`
        const roll = createHash('md5').update(`${w}/${i}`).digest().readUInt8(0) % 10
        try {
          if (roll < 7) {
            const tag = `${key}@${w}-${i}`
            const r = await s3.send(new PutObjectCommand({ Bucket: 'vcrash', Key: key, Body: content(tag), Metadata: { tag } }))
            acked.set(r.VersionId!, { key, tag })
            mine.push({ key, versionId: r.VersionId! })
          } else if (roll < 9 || mine.length === 0) {
            const r = await s3.send(new DeleteObjectCommand({ Bucket: 'vcrash', Key: key }))
            acked.set(r.VersionId!, { key })
            mine.push({ key, versionId: r.VersionId! })
          } else {
            // A permanent delete of one of this writer's own versions (no other writer races on it).
            const victim = mine.splice(i % mine.length, 1)[0]!
            uncertain.add(victim.versionId)
            await s3.send(new DeleteObjectCommand({ Bucket: 'vcrash', Key: victim.key, VersionId: victim.versionId }))
            uncertain.delete(victim.versionId)
            removed.add(victim.versionId)
          }
          completed++
        } catch {
          return
        }
      }
    }
    const writers = Array.from({ length: 5 }, (_, w) => writer(w))
    for (let i = 0; i < 200 && completed < 20; i++) await new Promise((r) => setTimeout(r, 100))
    await new Promise((r) => setTimeout(r, 200 + Math.floor(Math.random() * 800)))
    first.proc.kill('SIGKILL')
    stop = true
    await Promise.all(writers)
    s3.destroy()
    expect(completed).toBeGreaterThan(0)

    const second = await startS3Process(dataDir, certsDir, procs)
    const s3b = processClient(second.url, pki)
    const listed = await listAll(s3b, 'vcrash')
    const byId = new Map(listed.map((l) => [l.versionId, l]))
    expect(byId.size).toBe(listed.length)
    for (const [versionId, what] of acked) {
      const l = byId.get(versionId)
      if (uncertain.has(versionId)) continue
      if (removed.has(versionId)) {
        expect(l, `removed ${versionId} is back`).toBeUndefined()
        continue
      }
      expect(l, `acknowledged ${what.key} ${versionId} lost`).toBeDefined()
      expect(l!.marker).toBe(what.tag === undefined)
    }
    // Every listed version (acknowledged or caught mid-flight) is whole; each key has one latest version.
    for (const l of listed) {
      if (l.marker) continue
      const got = await s3b.send(new GetObjectCommand({ Bucket: 'vcrash', Key: l.key, VersionId: l.versionId }))
      const tag = got.Metadata?.tag ?? ''
      expect(tag.startsWith(`${l.key}@`)).toBe(true)
      expect(Buffer.from(await got.Body!.transformToByteArray()).equals(content(tag)), `${l.key} ${l.versionId}`).toBe(true)
    }
    for (const key of new Set(listed.map((l) => l.key))) {
      const latest = listed.filter((l) => l.key === key && l.isLatest)
      expect(latest, key).toHaveLength(1)
      if (latest[0]!.marker) {
        const err = await s3error(s3b.send(new GetObjectCommand({ Bucket: 'vcrash', Key: key })))
        expect(err.name).toBe('NoSuchKey')
      } else {
        const head = await s3b.send(new GetObjectCommand({ Bucket: 'vcrash', Key: key }))
        expect(head.VersionId).toBe(latest[0]!.versionId)
        await head.Body!.transformToByteArray()
      }
    }
    s3b.destroy()
    second.proc.kill('SIGTERM')
    await new Promise((r) => second.proc.once('exit', r))

    // Start-up removed every unfinished blob: the files on disk are exactly the referenced ones, and no delete
    // marker ever sits in the current-object table.
    const db = new Database(join(dataDir, 'keyhold-s3.db'), { readonly: true })
    const referenced = new Set((db.prepare('SELECT blob FROM object_parts UNION SELECT blob FROM upload_parts').all() as Array<{ blob: string }>).map((r) => r.blob))
    const pending = (db.prepare('SELECT count(*) AS n FROM pending_blobs').get() as { n: number }).n
    const orphanParts = (db.prepare(`SELECT count(*) AS n FROM object_parts WHERE object_id NOT IN
      (SELECT id FROM objects UNION SELECT id FROM object_versions)`).get() as { n: number }).n
    db.close()
    const files = readdirSync(join(dataDir, 'blobs')).flatMap((d) => readdirSync(join(dataDir, 'blobs', d)))
    expect(pending).toBe(0)
    expect(orphanParts).toBe(0)
    expect(new Set(files)).toEqual(referenced)
  }, 180_000)
})
