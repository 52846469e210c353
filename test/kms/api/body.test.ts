/**
 * parseBytesBody (the crypto routes' hand-written body check) accepts and rejects exactly what
 * the zod schema it replaced does, and decodes the same bytes.
 */
import { describe, expect, it } from 'vitest'
import { z } from 'zod'
import { ApiError, errInvalidBody } from '../../../src/kms/api/errors.js'
import type { ApiRequest } from '../../../src/kms/api/route.js'
import { bytes, parseBody, parseBytesBody } from '../../../src/kms/handlers/body.js'

const optionalBytes = bytes.optional().transform((b) => b ?? Buffer.alloc(0))
const Zod = z.object({ ciphertext: optionalBytes, context: optionalBytes })
const FIELDS = ['ciphertext', 'context'] as const
const fail = errInvalidBody

const request = (body: string): ApiRequest => ({ readBody: () => Promise.resolve(Buffer.from(body)) }) as unknown as ApiRequest

async function outcome(p: Promise<Record<string, Buffer>>): Promise<string> {
  try {
    const r = await p
    return JSON.stringify(Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v.toString('hex')])))
  } catch (err) {
    return err instanceof ApiError ? `fail ${err.status} ${err.message}` : `other ${String(err)}`
  }
}

const BODIES = [
  '{}', '{"ciphertext":"AAEC"}', '{"ciphertext":"AAEC","context":"aGk="}', '{"ciphertext":null,"context":null}',
  '{"ciphertext":"","version":3}', '{"ciphertext":"not base64!"}', '{"ciphertext":"AAE"}', '{"ciphertext":5}',
  '{"context":true}', '{"context":[]}', '{"context":{}}', '[]', '[{"ciphertext":"AAEC"}]', 'null', '"AAEC"', '12',
  '{"__proto__":"AAEC"}', '{"ciphertext":"AAEC"', '', 'not json', '{"ciphertext":"AA\\u0045C"}',
]

describe('parseBytesBody', () => {
  it.each(BODIES)('matches the zod schema for %s', async (body) => {
    expect(await outcome(parseBytesBody(request(body), FIELDS, fail))).toBe(await outcome(parseBody(request(body), Zod, fail)))
  })

  it('reads an empty body as the given default, and refuses it without one', async () => {
    expect(await outcome(parseBytesBody(request(''), ['context'], fail, {}))).toBe('{"context":""}')
    expect(await outcome(parseBytesBody(request(''), ['context'], fail))).toMatch(/^fail 400 /)
  })

  it('decodes the fields', async () => {
    const r = await parseBytesBody(request('{"ciphertext":"AAEC","context":"aGk="}'), FIELDS, fail)
    expect([r.ciphertext.toString('hex'), r.context.toString()]).toEqual(['000102', 'hi'])
  })
})
