/**
 * Vault stand-in: the Transit encrypt/decrypt endpoints (AES-256-GCM, `vault:v<N>:` ciphertexts,
 * keys created on first encrypt as Vault's "upsert" does).
 *
 * @module
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { isObject } from './kv.js'
import { fail, ok, type Reply } from './reply.js'
import type { Mount } from './state.js'

/** transit serves `encrypt/<key>` and `decrypt/<key>` (PUT/POST only). */
export function transit(mount: Extract<Mount, { type: 'transit' }>, verb: string, rest: string, body: unknown): Reply {
  const [op, name, ...more] = rest.split('/')
  if (verb !== 'PUT' || !name || more.length > 0) return fail(405, 'unsupported operation')
  if (!isObject(body)) return fail(400, 'invalid request')
  if (op === 'encrypt') {
    if (typeof body.plaintext !== 'string') return fail(400, 'missing plaintext to encrypt')
    let versions = mount.keys.get(name)
    if (!versions) mount.keys.set(name, (versions = [randomBytes(32)]))
    const n = versions.length
    const iv = randomBytes(12)
    const c = createCipheriv('aes-256-gcm', versions[n - 1]!, iv)
    const ct = Buffer.concat([iv, c.update(Buffer.from(body.plaintext, 'base64')), c.final(), c.getAuthTag()])
    return ok({ ciphertext: `vault:v${n}:${ct.toString('base64')}`, key_version: n })
  }
  if (op === 'decrypt') {
    const versions = mount.keys.get(name)
    if (!versions) return fail(400, 'encryption key not found')
    const m = typeof body.ciphertext === 'string' ? /^vault:v(\d+):(.+)$/.exec(body.ciphertext) : null
    const key = m ? versions[Number(m[1]) - 1] : undefined
    if (!m || !key) return fail(400, 'invalid ciphertext: no prefix')
    try {
      const raw = Buffer.from(m[2]!, 'base64')
      const d = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12))
      d.setAuthTag(raw.subarray(raw.length - 16))
      const pt = Buffer.concat([d.update(raw.subarray(12, raw.length - 16)), d.final()])
      return ok({ plaintext: pt.toString('base64') })
    } catch {
      return fail(400, 'cipher: message authentication failed')
    }
  }
  return fail(405, 'unsupported operation')
}

/** rotate adds a key version, so new ciphertexts become `vault:v<N+1>:` (KES's known limitation). */
export function rotateTransitKey(mount: Extract<Mount, { type: 'transit' }>, name: string): void {
  const versions = mount.keys.get(name) ?? []
  versions.push(randomBytes(32))
  mount.keys.set(name, versions)
}
