/**
 * Cross-check against an independent implementation (test/kms/crypto/kes_crypto.py, Python's
 * `cryptography` plus a pure-Python HChaCha20): it decrypts what we encrypt, we decrypt what it
 * encrypts in all three formats, and stored keys decode the same on both sides.
 */
import { spawn } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { decrypt, encrypt } from '../../../src/kms/crypto/ciphertext.js'
import { type KeyAlgorithm, decodeKeyVersion, encodeKeyVersion, generateKeyVersion } from '../../../src/kms/crypto/key.js'

const SCRIPT = join(import.meta.dirname, 'kes_crypto.py')
const ALGS: KeyAlgorithm[] = ['AES256', 'ChaCha20']
const FORMATS = ['current', 'msgpack', 'json'] as const
const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64')
const unb64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'))

interface Answer {
  decrypted: (string | null)[]
  encrypted: string[]
  encoded_keys: string[]
  decoded_keys: ({ alg: string; key: string; hmac: string; hash: number; seconds: number; nanos: number; by: string } | null)[]
}

function python(request: object): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const child = spawn('python3', [SCRIPT], { stdio: ['pipe', 'pipe', 'pipe'] })
    const out: Buffer[] = []
    let err = ''
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000)
    child.stdout.on('data', (d: Buffer) => out.push(d))
    child.stderr.on('data', (d: Buffer) => { err += d.toString() })
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      if (code !== 0) reject(new Error(`kes_crypto.py exited ${code}: ${err}`))
      else resolve(JSON.parse(Buffer.concat(out).toString()) as Answer)
    })
    child.stdin.end(JSON.stringify(request))
  })
}

// Plaintext and context shapes: empty, tiny, a DEK, binary context, large.
const CASES = [
  { pt: 0, ctx: 0 }, { pt: 1, ctx: 1 }, { pt: 32, ctx: 0 }, { pt: 32, ctx: 40 }, { pt: 4096, ctx: 200 },
]

describe('cross-check with the independent Python implementation', () => {
  const keys = new Map(ALGS.map((a) => [a, generateKeyVersion('xcheck', a)]))
  const ours = ALGS.flatMap((alg) => CASES.map((c) => {
    const pt = new Uint8Array(randomBytes(c.pt))
    const ctx = new Uint8Array(randomBytes(c.ctx))
    return { alg, pt, ctx, ct: encrypt(keys.get(alg)!, pt, ctx) }
  }))
  const theirs = ALGS.flatMap((alg) => FORMATS.flatMap((format) => CASES.map((c) => ({
    alg, format, pt: new Uint8Array(randomBytes(c.pt)), ctx: new Uint8Array(randomBytes(c.ctx)),
  }))))
  const storedKeys = ALGS.map((a) => generateKeyVersion('3ecfcdf38fcbe141ae26a1030f81e96b753365a46760ae6b578698a97c59fd22', a))
  let answer: Answer

  beforeAll(async () => {
    const k = (alg: KeyAlgorithm): string => b64(keys.get(alg)!.key)
    answer = await python({
      decrypt: [
        ...ours.map((o) => ({ alg: o.alg, key: k(o.alg), ct: b64(o.ct), ctx: b64(o.ctx) })),
        // Controls: Python must refuse a wrong context, else its "yes" would mean nothing.
        ...ours.map((o) => ({ alg: o.alg, key: k(o.alg), ct: b64(o.ct), ctx: b64(new Uint8Array([...o.ctx, 1])) })),
      ],
      encrypt: theirs.map((t) => ({ alg: t.alg, key: k(t.alg), pt: b64(t.pt), ctx: b64(t.ctx), format: t.format })),
      encode_key: storedKeys.map((s) => ({
        alg: s.algorithm, key: b64(s.key), hmac: b64(s.hmacKey!), by: s.createdBy,
        seconds: Math.floor(s.createdAt!.getTime() / 1000), nanos: (s.createdAt!.getTime() % 1000) * 1_000_000,
      })),
      decode_key: storedKeys.map((s) => Buffer.from(encodeKeyVersion(s)).toString('ascii')),
    })
  })

  it('Python decrypts what we encrypt (both algorithms, with context), and refuses a wrong context', () => {
    for (const [i, o] of ours.entries()) {
      expect(answer.decrypted[i], `${o.alg} #${i}`).toBe(b64(o.pt))
      expect(answer.decrypted[ours.length + i], `${o.alg} #${i} control`).toBeNull()
    }
  })

  it('we decrypt what Python encrypts, in all three formats', () => {
    expect(answer.encrypted).toHaveLength(theirs.length)
    for (const [i, t] of theirs.entries()) {
      const pt = decrypt(keys.get(t.alg)!, unb64(answer.encrypted[i]!), t.ctx)
      expect(Buffer.from(pt).equals(t.pt), `${t.format} ${t.alg} #${i}`).toBe(true)
    }
  })

  it('stored keys: byte-identical encodings, and each side decodes the other', () => {
    for (const [i, s] of storedKeys.entries()) {
      expect(answer.encoded_keys[i]).toBe(Buffer.from(encodeKeyVersion(s)).toString('ascii'))
      expect(decodeKeyVersion(new TextEncoder().encode(answer.encoded_keys[i]!))).toEqual(s)
      expect(answer.decoded_keys[i]).toEqual({
        alg: s.algorithm, key: b64(s.key), hmac: b64(s.hmacKey!), hash: 1, by: s.createdBy,
        seconds: Math.floor(s.createdAt!.getTime() / 1000), nanos: (s.createdAt!.getTime() % 1000) * 1_000_000,
      })
    }
  })
})
