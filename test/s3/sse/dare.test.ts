import { execFileSync } from 'node:child_process'
import { createCipheriv, createHash, randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { buffer } from 'node:stream/consumers'
import { pipeline } from 'node:stream/promises'
import { describe, expect, it } from 'vitest'
import { DareError, MAX_PACKAGE, MAX_PAYLOAD, decryptBuffer, decryptedSize, encryptBuffer, encryptedSize } from '../../../src/s3/sse/dare.js'
import { DareDecrypter, type DecryptPlan } from '../../../src/s3/sse/dare-decrypter.js'
import { DareEncryptStream } from '../../../src/s3/sse/dare-stream.js'
import { DecryptStream } from '../../../src/s3/storage/decrypt-stream.js'
import { planRange, type StoredPart } from '../../../src/s3/sse/range.js'
import { derivePartKey, generateObjectKey, sealObjectKey, unsealObjectKey } from '../../../src/s3/sse/object-key.js'

/** The nonce parts were written with before it was random (MinIO's): SHA-256(uploadId ‖ partNumber)[:12]. */
const legacyPartNonce = (uploadId: string, partNumber: number): Buffer =>
  createHash('sha256').update(`${uploadId}${partNumber}`).digest().subarray(0, 12)

const script = new URL('./dare_crosscheck.py', import.meta.url).pathname

function py(cmd: Record<string, unknown>): Record<string, string> {
  const out = execFileSync('python3', [script], { input: JSON.stringify(cmd), maxBuffer: 64 << 20 })
  return JSON.parse(out.toString()) as Record<string, string>
}

async function encryptStream(key: Buffer, data: Buffer, nonce?: Buffer, chunk = 10_000): Promise<Buffer> {
  const pieces: Buffer[] = []
  for (let i = 0; i < data.length; i += chunk) pieces.push(data.subarray(i, i + chunk))
  const enc = new DareEncryptStream(key, nonce)
  const [out] = await Promise.all([buffer(enc), pipeline(Readable.from(pieces), enc)])
  return out
}

/** The decrypter of `plan` as the stream a copy reads through. */
const decrypting = (plan: DecryptPlan): DecryptStream => new DecryptStream(new DareDecrypter(plan))

async function decryptStream(stream: DecryptStream, data: Buffer, chunk = 7_777): Promise<Buffer> {
  const pieces: Buffer[] = []
  for (let i = 0; i < data.length; i += chunk) pieces.push(data.subarray(i, i + chunk))
  const [out] = await Promise.all([buffer(stream), pipeline(Readable.from(pieces), stream)])
  return out
}

describe('DARE 2.0', () => {
  const key = randomBytes(32)

  it('sizes follow sio.EncryptedSize / DecryptedSize', () => {
    for (const n of [0, 1, 65535, 65536, 65537, 3 * 65536, 3 * 65536 + 5]) {
      expect(decryptedSize(encryptedSize(n))).toBe(n)
    }
    expect(encryptedSize(65536)).toBe(MAX_PACKAGE)
    expect(encryptedSize(1)).toBe(33)
    expect(() => decryptedSize(MAX_PACKAGE + 32)).toThrow(DareError)
  })

  it('empty plaintext gives empty ciphertext', async () => {
    expect(encryptBuffer(key, Buffer.alloc(0)).length).toBe(0)
    expect((await encryptStream(key, Buffer.alloc(0))).length).toBe(0)
  })

  it.each([1, 100, MAX_PAYLOAD, MAX_PAYLOAD + 1, 2 * MAX_PAYLOAD, 200_000])('stream of %i bytes round-trips and matches python', async (n) => {
    const data = randomBytes(n)
    const nonce = randomBytes(12)
    const enc = await encryptStream(key, data, nonce)
    expect(enc.length).toBe(encryptedSize(n))
    expect(enc.equals(encryptBuffer(key, data, nonce))).toBe(true)
    // Independent implementation decrypts ours, and encrypts byte-identically.
    expect(py({ op: 'decrypt', key: key.toString('hex'), data: enc.toString('hex') }).plaintext).toBe(data.toString('hex'))
    expect(py({ op: 'encrypt', key: key.toString('hex'), nonce: nonce.toString('hex'), data: data.toString('hex') }).ciphertext).toBe(enc.toString('hex'))
    const plan = planRange([{ number: 0, encSize: enc.length }], 0, n)
    const dec = await decryptStream(decrypting({ skip: plan.skip, length: plan.length, segments: plan.segments.map((s) => ({ ...s, key })) }), enc)
    expect(dec.equals(data)).toBe(true)
  })

  it('rejects flipped bytes, truncation, reordering and trailing data', async () => {
    const data = randomBytes(3 * MAX_PAYLOAD + 10)
    const enc = encryptBuffer(key, data)
    const full = (buf: Buffer) => decryptStream(decrypting({ skip: 0, length: data.length, segments: [{ key, startSeq: 0, encBytes: enc.length, toEnd: true }] }), buf)
    for (const pos of [0, 1, 2, 4, 15, 16, 1000, MAX_PACKAGE - 1, MAX_PACKAGE + 4, enc.length - 1]) {
      const bad = Buffer.from(enc)
      bad[pos] = bad[pos]! ^ 0x01
      await expect(full(bad)).rejects.toThrow()
      expect(() => decryptBuffer(key, bad)).toThrow(DareError)
    }
    // Dropping the final package: every remaining package authenticates but the stream is incomplete.
    expect(() => decryptBuffer(key, enc.subarray(0, 3 * MAX_PACKAGE))).toThrow(/unexpected EOF/)
    const swapped = Buffer.concat([enc.subarray(MAX_PACKAGE, 2 * MAX_PACKAGE), enc.subarray(0, MAX_PACKAGE), enc.subarray(2 * MAX_PACKAGE)])
    expect(() => decryptBuffer(key, swapped)).toThrow(DareError)
    expect(() => decryptBuffer(key, Buffer.concat([enc, enc.subarray(0, 40)]))).toThrow(DareError)
    await expect(full(Buffer.concat([enc, Buffer.alloc(1)]))).rejects.toThrow(DareError)
    expect(() => decryptBuffer(randomBytes(32), enc)).toThrow(DareError)
  })

  it('reads ChaCha20-Poly1305 packages (what MinIO writes on arm64)', () => {
    // Build a two-package stream by hand with cipher suite 0x01, as sio does.
    const nonce = randomBytes(12)
    nonce[0] = nonce[0]! & 0x7f
    const data = randomBytes(MAX_PAYLOAD + 10)
    const pkgs = [data.subarray(0, MAX_PAYLOAD), data.subarray(MAX_PAYLOAD)].map((payload, seq) => {
      const header = Buffer.alloc(16)
      header[0] = 0x20
      header[1] = 0x01
      header.writeUInt16LE(payload.length - 1, 2)
      nonce.copy(header, 4)
      if (seq === 1) header[4] = header[4]! | 0x80
      const iv = Buffer.from(header.subarray(4))
      iv.writeUInt32LE((iv.readUInt32LE(8) ^ seq) >>> 0, 8)
      const c = createCipheriv('chacha20-poly1305', key, iv, { authTagLength: 16 })
      c.setAAD(header.subarray(0, 4), { plaintextLength: payload.length })
      return Buffer.concat([header, c.update(payload), c.final(), c.getAuthTag()])
    })
    const stream = Buffer.concat(pkgs)
    expect(decryptBuffer(key, stream).equals(data)).toBe(true)
    expect(py({ op: 'decrypt', key: key.toString('hex'), data: stream.toString('hex') }).plaintext).toBe(data.toString('hex'))
    // Mixing cipher suites within one stream is refused, as sio does.
    const mixed = Buffer.concat([pkgs[0]!, encryptBuffer(key, data.subarray(MAX_PAYLOAD), nonce)])
    expect(() => decryptBuffer(key, mixed)).toThrow(DareError)
  })
})

describe('range reads', () => {
  const key = randomBytes(32)

  it('decrypts only the packages a range needs, across parts', async () => {
    const objectKey = generateObjectKey(key)
    const sizes = [5 * 1024 * 1024, 3 * MAX_PAYLOAD + 7, 1000]
    const plain: Buffer[] = []
    const stored: Buffer[] = []
    const parts: StoredPart[] = []
    for (let i = 0; i < sizes.length; i++) {
      const data = randomBytes(sizes[i]!)
      const number = i + 1
      const enc = encryptBuffer(derivePartKey(objectKey, number), data, legacyPartNonce('upload-1', number))
      plain.push(data)
      stored.push(enc)
      parts.push({ number, encSize: enc.length })
    }
    const all = Buffer.concat(plain)
    const blob = Buffer.concat(stored)
    const cases: Array<[number, number]> = [[0, 1], [MAX_PAYLOAD - 1, 2], [5 * 1024 * 1024 - 3, 10], [5 * 1024 * 1024 + 3 * MAX_PAYLOAD, 8], [all.length - 1, 1], [123_456, all.length - 123_456], [0, all.length]]
    for (const [off, len] of cases) {
      const plan = planRange(parts, off, len)
      // Only the packages covering the range are read: at most two extra packages per part boundary.
      expect(plan.encLength).toBeLessThanOrEqual(encryptedSize(len) + 2 * MAX_PACKAGE * plan.segments.length)
      const segments = plan.segments.map((s) => ({ ...s, key: derivePartKey(objectKey, parts[s.part]!.number) }))
      const slice = blob.subarray(plan.encOffset, plan.encOffset + plan.encLength)
      const got = await decryptStream(decrypting({ segments, skip: plan.skip, length: plan.length }), slice)
      expect(got.equals(all.subarray(off, off + len))).toBe(true)
    }
    // A range inside the first package of a big part reads one package only.
    expect(planRange(parts, 10, 10).encLength).toBe(MAX_PACKAGE)
  })

  it('keeps nothing of a pushed chunk: the GET path reuses one read buffer for every chunk', () => {
    // Chunks of sizes that split packages anywhere, all read into the same buffer (as range-writer.ts does
    // with its pooled buffers), which is scribbled over right after each push.
    const data = randomBytes(5 * MAX_PAYLOAD + 321)
    const enc = encryptBuffer(key, data)
    const d = new DareDecrypter({ skip: 0, length: data.length, segments: [{ key, startSeq: 0, encBytes: enc.length, toEnd: true }] })
    const reused = Buffer.alloc(100_000)
    const out: Buffer[] = []
    const sizes = [1, 15, 16, 65_551, 99_999, 7, 100_000, 3]
    for (let off = 0, i = 0; off < enc.length; i++) {
      const n = Math.min(sizes[i % sizes.length]!, enc.length - off)
      enc.copy(reused, 0, off, off + n)
      d.push(reused.subarray(0, n), (p) => out.push(Buffer.from(p)))
      reused.fill(0xa5)
      off += n
    }
    d.end((p) => out.push(Buffer.from(p)))
    expect(Buffer.concat(out).equals(data)).toBe(true)
  })

  it('ends with unexpected EOF when stored bytes are missing, after releasing only authentic packages', () => {
    const data = randomBytes(3 * MAX_PAYLOAD)
    const enc = encryptBuffer(key, data)
    const d = new DareDecrypter({ skip: 0, length: data.length, segments: [{ key, startSeq: 0, encBytes: enc.length, toEnd: true }] })
    const out: Buffer[] = []
    d.push(enc.subarray(0, enc.length - 10), (p) => out.push(p))
    expect(Buffer.concat(out).equals(data.subarray(0, 2 * MAX_PAYLOAD))).toBe(true)
    expect(() => d.end((p) => out.push(p))).toThrow('sio: unexpected EOF')
  })

  it('a flipped byte inside a range fails the range read', async () => {
    const data = randomBytes(4 * MAX_PAYLOAD)
    const enc = encryptBuffer(key, data)
    const plan = planRange([{ number: 0, encSize: enc.length }], MAX_PAYLOAD + 5, 100)
    const slice = Buffer.from(enc.subarray(plan.encOffset, plan.encOffset + plan.encLength))
    slice[50] = slice[50]! ^ 0x80
    const segments = plan.segments.map((s) => ({ ...s, key }))
    await expect(decryptStream(decrypting({ segments, skip: plan.skip, length: plan.length }), slice)).rejects.toThrow(DareError)
  })
})

describe('object keys', () => {
  it('seal is 64 bytes, bound to domain and bucket/object, and opens in python', () => {
    const ext = randomBytes(32)
    const iv = randomBytes(32)
    const oek = generateObjectKey(ext)
    const sealed = sealObjectKey(oek, ext, iv, 'SSE-KMS', 'bucket', 'dir/obj.txt')
    expect(sealed.length).toBe(64)
    expect(unsealObjectKey(sealed, ext, iv, 'SSE-KMS', 'bucket', 'dir//obj.txt').equals(oek)).toBe(true)
    expect(() => unsealObjectKey(sealed, ext, iv, 'SSE-S3', 'bucket', 'dir/obj.txt')).toThrow(/does not match/)
    expect(() => unsealObjectKey(sealed, ext, iv, 'SSE-KMS', 'bucket', 'dir/other.txt')).toThrow(/does not match/)
    expect(() => unsealObjectKey(sealed, randomBytes(32), iv, 'SSE-KMS', 'bucket', 'dir/obj.txt')).toThrow(/does not match/)
    const res = py({ op: 'unseal', extKey: ext.toString('hex'), iv: iv.toString('hex'), domain: 'SSE-KMS', bucket: 'bucket', object: 'dir/obj.txt', sealed: sealed.toString('hex') })
    expect(res.objectKey).toBe(oek.toString('hex'))
    expect(py({ op: 'partkey', objectKey: oek.toString('hex'), part: 7 }).key).toBe(derivePartKey(oek, 7).toString('hex'))
  })

  it('the legacy part nonce of the fixtures is SHA-256(uploadId ‖ partNumber)[:12], as MinIO derives it', () => {
    expect(legacyPartNonce('abc', 12).toString('hex')).toBe('8d51feb34e3e69f6fa6dffc5')
  })
})
