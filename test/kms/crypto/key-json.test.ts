import { describe, expect, it } from 'vitest'
import { InvalidKeyError, decodeKeyVersion, encodeKeyVersion } from '../../../src/kms/crypto/key.js'

const b64 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'base64'))
const text = (s: string): Uint8Array => new TextEncoder().encode(s)
const K = 'J8qmOyEV2ce2yoAC+5t0Y7CSP/hTMppL7XHpAnyc+0E='
const ID = '40235905b7b83e0537a002db523cd019d6709b899adc249c957860cd00fa9f78'

describe('decodeKeyVersion: legacy JSON', () => {
  // The first five are minio/kes key_test.go parseKeyVersionTests; the rest are ours.
  const GOOD: [string, string, Record<string, unknown>][] = [
    ['oldest form, zero key', '{"bytes":"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}', { key: new Uint8Array(32), algorithm: 'AES256' }],
    ['oldest form', `{"bytes":"${K}"}`, { key: b64(K), algorithm: 'AES256' }],
    ['v0.18-v0.22, AES', `{"bytes":"${K}","algorithm":"AES256-GCM_SHA256","created_at":"2009-11-10T23:00:00Z","created_by":"${ID}"}`,
      { key: b64(K), algorithm: 'AES256', createdAt: new Date('2009-11-10T23:00:00Z'), createdBy: ID }],
    ['v0.18-v0.22, ChaCha', '{"bytes":"9ew6BCae3+13sniOUwttEJ62amg98YXc0OW0WBhNiCY=","algorithm":"XCHACHA20-POLY1305","created_at":"2009-11-10T23:00:00Z","created_by":"189d9de5331e3ee8abe9e4bd40d474ad621d79ccf83a711f6ac68050eb15a52a"}',
      { key: b64('9ew6BCae3+13sniOUwttEJ62amg98YXc0OW0WBhNiCY='), algorithm: 'ChaCha20', createdAt: new Date('2009-11-10T23:00:00Z'), createdBy: '189d9de5331e3ee8abe9e4bd40d474ad621d79ccf83a711f6ac68050eb15a52a' }],
    ['with version member', `{"version":"v1","bytes":"${K}","algorithm":"ChaCha20"}`, { key: b64(K), algorithm: 'ChaCha20' }],
    ['new algorithm names', `{"bytes":"${K}","algorithm":"AES256"}`, { key: b64(K), algorithm: 'AES256' }],
    ['empty algorithm means AES256', `{"bytes":"${K}","algorithm":""}`, { key: b64(K), algorithm: 'AES256' }],
    ['nulls mean absent', `{"bytes":"${K}","algorithm":null,"created_at":null,"created_by":null}`, { key: b64(K), algorithm: 'AES256' }],
    ['member names in any case (Go)', `{"BYTES":"${K}","Algorithm":"ChaCha20","Created_By":"x"}`, { key: b64(K), algorithm: 'ChaCha20', createdBy: 'x' }],
    ['unknown members ignored', `{"bytes":"${K}","hmac":"zzz","extra":[1,{}]}`, { key: b64(K), algorithm: 'AES256' }],
    ['whitespace', ` \n{ "bytes" : "${K}" }\n`, { key: b64(K), algorithm: 'AES256' }],
    ['time with offset and nanoseconds', `{"bytes":"${K}","created_at":"2024-01-12T11:39:20.886816123+01:00"}`,
      { key: b64(K), algorithm: 'AES256', createdAt: new Date('2024-01-12T10:39:20.886Z') }],
    ['negative offset', `{"bytes":"${K}","created_at":"2020-02-29T23:30:00-01:30"}`,
      { key: b64(K), algorithm: 'AES256', createdAt: new Date('2020-03-01T01:00:00Z') }],
    ["Go's zero time means unknown", `{"bytes":"${K}","created_at":"0001-01-01T00:00:00Z"}`, { key: b64(K), algorithm: 'AES256' }],
  ]
  for (const [why, json, want] of GOOD) {
    it(`reads ${why}`, () => expect(decodeKeyVersion(text(json))).toEqual(want))
  }

  const BAD: [string, string][] = [
    ['missing {', `"bytes":"${K}"}`], // these four: key_test.go
    ['missing first "', `{bytes":"${K}"}`],
    ['missing :', `{"bytes""${K}"}`],
    ['missing }', `"bytes":"${K}"`],
    ['no bytes', '{}'],
    ['null', 'null'],
    ['an array', `["${K}"]`],
    ['a number', '12'],
    ['a 31-byte key', `{"bytes":"${Buffer.alloc(31).toString('base64')}"}`],
    ['a 33-byte key', `{"bytes":"${Buffer.alloc(33).toString('base64')}"}`],
    ['bytes not base64', '{"bytes":"not base64!"}'],
    ['bytes in URL-safe base64', `{"bytes":"${K.replace('+', '-').replace('/', '_')}"}`],
    ['bytes not a string', '{"bytes":[1,2,3]}'],
    ['an unknown algorithm', `{"bytes":"${K}","algorithm":"AES128"}`],
    ['a lower-case algorithm', `{"bytes":"${K}","algorithm":"aes256"}`],
    ['a prototype name as algorithm', `{"bytes":"${K}","algorithm":"toString"}`],
    ['algorithm not a string', `{"bytes":"${K}","algorithm":1}`],
    ['an empty created_at', `{"bytes":"${K}","created_at":""}`],
    ['created_at not RFC 3339', `{"bytes":"${K}","created_at":"2009-11-10 23:00:00"}`],
    ['February 30th', `{"bytes":"${K}","created_at":"2009-02-30T00:00:00Z"}`],
    ['hour 24', `{"bytes":"${K}","created_at":"2009-02-01T24:00:00Z"}`],
    ['created_by not a string', `{"bytes":"${K}","created_by":7}`],
  ]
  for (const [why, json] of BAD) {
    it(`rejects ${why}`, () => expect(() => decodeKeyVersion(text(json))).toThrow(InvalidKeyError))
  }

  it('never puts key material into the error message', () => {
    const key = Buffer.alloc(31, 0x61).toString('base64')
    try {
      decodeKeyVersion(text(`{"bytes":"${key}"}`))
      expect.unreachable()
    } catch (e) {
      expect((e as Error).message).not.toContain(key)
      expect((e as Error).message).toMatch(/31 bytes/)
    }
  })

  it('cannot be written back: legacy keys have no HMAC key', () => {
    expect(() => encodeKeyVersion(decodeKeyVersion(text(`{"bytes":"${K}"}`)))).toThrow(InvalidKeyError)
  })
})
