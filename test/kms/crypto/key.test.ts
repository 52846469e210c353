import { randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import {
  InvalidKeyError, type KeyVersion, decodeKeyVersion, encodeKeyVersion, generateKeyVersion, importKeyVersion,
} from '../../../src/kms/crypto/key.js'

const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'))
const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'))
const asText = (b: Uint8Array): string => Buffer.from(b).toString('latin1')

function expectInvalid(stored: Uint8Array): void {
  expect(() => decodeKeyVersion(stored)).toThrow(InvalidKeyError)
}

// A key version with known bytes, and its encoding assembled by hand from the .proto schema
// (docs/kes-compatibility.md, "Stored key format"), independently of the encoder under test.
const KEY = Uint8Array.from({ length: 32 }, (_, i) => i)
const HMAC = Uint8Array.from({ length: 32 }, (_, i) => 0xff - i)
const KNOWN: KeyVersion = {
  key: KEY, algorithm: 'ChaCha20', hmacKey: HMAC,
  createdAt: new Date('2024-01-12T10:39:20.886Z'), createdBy: 'abc',
}
const KNOWN_PROTO = hex(`
  0a 24  0a 20 ${Buffer.from(KEY).toString('hex')}  10 02
  12 24  0a 20 ${Buffer.from(HMAC).toString('hex')}  10 01
  1a 0c  08 d8 ad 84 ad 06  10 80 93 bd a6 03
  22 03  616263`)

describe('encodeKeyVersion', () => {
  it('writes base64 of the protobuf KeyVersion, byte for byte', () => {
    expect(asText(encodeKeyVersion(KNOWN))).toBe(Buffer.from(KNOWN_PROTO).toString('base64'))
  })

  it("writes an unknown creation time as Go's zero time and omits an empty creator", () => {
    const { createdAt: _a, createdBy: _b, ...bare } = KNOWN
    const proto = Buffer.from(asText(encodeKeyVersion(bare)), 'base64')
    // -62135596800 as a 10-byte two's complement varint
    expect(proto.subarray(76).toString('hex')).toBe('1a0b' + '08' + '80 92 b8 c3 98 fe ff ff ff 01'.replace(/ /g, ''))
    expect(decodeKeyVersion(encodeKeyVersion(bare))).toEqual(bare)
  })

  it('refuses keys KES could not store either', () => {
    expect(() => encodeKeyVersion({ key: KEY, algorithm: 'AES256' })).toThrow(InvalidKeyError) // legacy: no HMAC key
    expect(() => encodeKeyVersion({ ...KNOWN, key: KEY.subarray(1) })).toThrow(InvalidKeyError)
    expect(() => encodeKeyVersion({ ...KNOWN, hmacKey: new Uint8Array(33) })).toThrow(InvalidKeyError)
    expect(() => encodeKeyVersion({ ...KNOWN, algorithm: 'AES128' as never })).toThrow(InvalidKeyError)
    expect(() => encodeKeyVersion({ ...KNOWN, createdAt: new Date(NaN) })).toThrow(InvalidKeyError)
  })

  it('round-trips generated keys of both algorithms, keeping millisecond times', () => {
    for (const alg of ['AES256', 'ChaCha20'] as const) {
      const k = generateKeyVersion('3ecfcdf38fcbe141ae26a1030f81e96b753365a46760ae6b578698a97c59fd22', alg)
      const stored = encodeKeyVersion(k)
      expect(asText(stored)).toMatch(/^[A-Za-z0-9+/]+={0,2}$/)
      expect(decodeKeyVersion(stored)).toEqual(k)
    }
    const old = { ...KNOWN, createdAt: new Date('1969-07-20T20:17:40.001Z') } // negative seconds
    expect(decodeKeyVersion(encodeKeyVersion(old))).toEqual(old)
  })
})

describe('generateKeyVersion / importKeyVersion', () => {
  it('generates AES256 by default, fresh 32-byte keys, stamped now', () => {
    const before = Date.now()
    const a = generateKeyVersion('me')
    const b = generateKeyVersion('me', 'ChaCha20')
    expect(a.algorithm).toBe('AES256')
    expect(b.algorithm).toBe('ChaCha20')
    for (const k of [a, b]) {
      expect(k.key).toHaveLength(32)
      expect(k.hmacKey).toHaveLength(32)
      expect(k.createdBy).toBe('me')
      expect(k.createdAt!.getTime()).toBeGreaterThanOrEqual(before)
      expect(k.createdAt!.getTime()).toBeLessThanOrEqual(Date.now())
    }
    expect(a.key).not.toEqual(b.key)
    expect(a.key).not.toEqual(a.hmacKey)
  })

  it('imports exactly 32 bytes, copies them, and adds a fresh HMAC key', () => {
    const raw = randomBytes(32)
    const a = importKeyVersion(raw, 'ChaCha20', 'admin')
    const b = importKeyVersion(raw, 'ChaCha20', 'admin')
    expect(Buffer.from(a.key).equals(raw)).toBe(true)
    expect(a.hmacKey).not.toEqual(b.hmacKey)
    raw.fill(0)
    expect(a.key.some((x) => x !== 0)).toBe(true)
    expect(a.algorithm).toBe('ChaCha20')
    for (const n of [0, 16, 31, 33, 64]) expect(() => importKeyVersion(randomBytes(n), 'AES256', 'x')).toThrow(InvalidKeyError)
    expect(() => importKeyVersion(randomBytes(32), 'AES128' as never, 'x')).toThrow(InvalidKeyError)
  })
})

describe('decodeKeyVersion: size', () => {
  it('refuses a stored key over 64 KiB (a 20 MiB created_by) without naming its bytes, in both forms', () => {
    const key = Buffer.from(KEY).toString('base64')
    const huge = 'X'.repeat(20 << 20)
    const legacy = text(JSON.stringify({ bytes: key, algorithm: 'AES256', created_at: '2024-01-12T10:39:20Z', created_by: huge }))
    const proto = encodeKeyVersion({ ...KNOWN, createdBy: huge })
    for (const stored of [legacy, proto]) {
      let err: unknown
      try {
        decodeKeyVersion(stored)
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(InvalidKeyError)
      const message = (err as Error).message
      expect(message.length).toBeLessThan(200)
      expect(message).not.toContain(key)
      expect(message).not.toContain('XXXX')
    }
    // A real key with a long identity is far below the bound.
    expect(decodeKeyVersion(encodeKeyVersion({ ...KNOWN, createdBy: 'x'.repeat(4096) })).createdBy).toHaveLength(4096)
  })
})

describe('decodeKeyVersion: protobuf', () => {
  it("decodes KES's own protobuf vector (minio/kes key_test.go)", () => {
    const k = decodeKeyVersion(text('CiQKIMiHG7XrN94FuwblJJor4f7f6rbqAl7DwsLaiIoyz0D2EAESJAognLXl4yqa4cjZTcSbsU6sNnN8kP9ARWkXwa20YQZa9HgQARoMCNithK0GEID67qYDIkAzZWNmY2RmMzhmY2JlMTQxYWUyNmExMDMwZjgxZTk2Yjc1MzM2NWE0Njc2MGFlNmI1Nzg2OThhOTdjNTlmZDIy'))
    expect(k).toEqual({
      key: b64('yIcbtes33gW7BuUkmivh/t/qtuoCXsPCwtqIijLPQPY='),
      algorithm: 'AES256',
      hmacKey: b64('nLXl4yqa4cjZTcSbsU6sNnN8kP9ARWkXwa20YQZa9Hg='),
      createdAt: new Date('2024-01-12T10:39:20.886Z'), // .886816 truncated to milliseconds
      createdBy: '3ecfcdf38fcbe141ae26a1030f81e96b753365a46760ae6b578698a97c59fd22',
    })
  })

  it('decodes the hand-assembled encoding', () => {
    expect(decodeKeyVersion(text(Buffer.from(KNOWN_PROTO).toString('base64')))).toEqual(KNOWN)
  })

  it('skips unknown fields of every wire type, as proto3 requires', () => {
    const extra = hex('28 07  31 0102030405060708  3a 02 ffff  45 01020304')
    expect(decodeKeyVersion(text(Buffer.concat([KNOWN_PROTO, extra]).toString('base64')))).toEqual(KNOWN)
  })

  it('accepts the base64 with a trailing newline, as Go does', () => {
    expect(decodeKeyVersion(text(Buffer.from(KNOWN_PROTO).toString('base64') + '\n'))).toEqual(KNOWN)
  })

  const p = Buffer.from(KNOWN_PROTO)
  const patch = (at: number, ...bytes: number[]): Buffer => {
    const c = Buffer.from(p)
    bytes.forEach((b, i) => { c[at + i] = b })
    return c
  }
  const BAD: [string, Uint8Array][] = [
    ['empty input', new Uint8Array(0)],
    ['no HMAC key', Buffer.concat([p.subarray(0, 38), p.subarray(76)])],
    ['no secret key', p.subarray(38)],
    ['a 31-byte secret key', Buffer.concat([hex('0a 23 0a 1f'), p.subarray(4, 35), p.subarray(36)])],
    ['key type 0', patch(37, 0x00)],
    ['key type 3', patch(37, 0x03)],
    ['HMAC hash 2', patch(75, 0x02)],
    ['field 1 with the varint wire type', patch(0, 0x08)],
    ['a group (wire type 3)', Buffer.concat([p, hex('2b')])],
    ['field number 0', Buffer.concat([p, hex('02 00')])],
    ['a truncated length', Buffer.concat([p, hex('3a')])],
    ['a length past the end', Buffer.concat([p, hex('3a 05 00')])],
    ['a varint longer than 10 bytes', Buffer.concat([p, hex('28 ff ff ff ff ff ff ff ff ff ff 01')])],
    ['a 10th varint byte over 1', Buffer.concat([p, hex('28 ff ff ff ff ff ff ff ff ff 02')])],
    ['a truncated varint', Buffer.concat([p, hex('28 ff')])],
    ['nanos of a second or more', patch(85, 0x80, 0x94, 0xeb, 0xdc, 0x03)],
    ['negative nanos', Buffer.concat([p.subarray(0, 76), hex('1a 0d 08 01 10 ff ff ff ff ff ff ff ff ff 01')])],
    ['a time after year 9999', Buffer.concat([p.subarray(0, 76), hex('1a 07 08 80 80 80 80 80 80 04')])],
    ['created_by that is not UTF-8', patch(92, 0xff)],
  ]
  for (const [why, proto] of BAD) {
    it(`rejects ${why}`, () => expectInvalid(text(Buffer.from(proto).toString('base64'))))
  }

  it('rejects every truncation of a valid encoding', () => {
    for (let n = 0; n < p.length; n++) {
      // Cutting just before the optional CreatedAt (76) or CreatedBy (90) leaves a valid message.
      if (n === 76 || n === 90) continue
      expectInvalid(text(p.subarray(0, n).toString('base64')))
    }
  })

  it('rejects text that is not strict standard base64', () => {
    const good = p.toString('base64')
    expect(good.endsWith('=')).toBe(true)
    for (const s of [good.replace(/=+$/, ''), good.replace(/\+/g, '-').replace(/\//g, '_') + '_', `${good} `, `*${good}`, good.slice(1)]) {
      if (s === good) continue
      expectInvalid(text(s))
    }
    expectInvalid(new Uint8Array([0xef, 0xbb, 0xbf, ...text(good)])) // UTF-8 BOM
    expectInvalid(new Uint8Array([0xff, 0xfe, 0x00]))
  })

  it('raises only InvalidKeyError for arbitrary bytes (bounded fuzz: 1000 inputs)', () => {
    for (let i = 0; i < 1000; i++) {
      const junk = i % 2 ? randomBytes(i % 150) : Buffer.from(randomBytes(i % 110)).toString('base64')
      const input = typeof junk === 'string' ? text(junk) : junk
      try {
        decodeKeyVersion(input)
      } catch (e) {
        expect(e).toBeInstanceOf(InvalidKeyError)
      }
    }
  })
})
