/**
 * The floors' crypto work (kms-go-bench.ts `--crypto-floor`): what a Keyhold generate or decrypt
 * computes for its answer, with nothing else of Keyhold's pipeline (no routing, identity, policy,
 * key cache, key state, audit or metrics). The same functions Keyhold calls: the JSON body, its
 * base64 fields, the random pool, the HMAC-derived one-time key and AES-256-GCM of
 * src/kms/crypto/ciphertext.ts. A floor doing this shows how far Node's HTTP stack plus the
 * cryptography alone gets against kesref, which does both and the identity and policy too.
 *
 * @module
 */
import { decrypt, encrypt } from '../../src/kms/crypto/ciphertext.js'
import type { KeyVersion } from '../../src/kms/crypto/key.js'
import { randomPooled } from '../../src/kms/crypto/random-pool.js'
import { decodeBase64 } from '../../src/kms/api/validate.js'

// A fixed key, the same in every floor process: a bench fixture, never a secret. Decrypt then
// opens what another worker generated, as with Keyhold's shared keystore.
const KEY: KeyVersion = { key: new Uint8Array(32).fill(7), algorithm: 'AES256', hmacKey: new Uint8Array(32).fill(9), createdAt: new Date(0), createdBy: 'bench' }

/** cryptoAnswer returns the status and JSON answer of a generate (a path holding `/generate/`) or a decrypt. Throws nothing. */
export function cryptoAnswer(path: string, body: Buffer): { status: number; body: Buffer } {
  let json: Record<string, unknown>
  try {
    json = body.length === 0 ? {} : (JSON.parse(body.toString('utf8')) as Record<string, unknown>)
  } catch {
    return { status: 400, body: Buffer.from('{"message":"invalid request body"}') }
  }
  const field = (name: string) => (typeof json[name] === 'string' ? decodeBase64(json[name]) : Buffer.alloc(0))
  const context = field('context') ?? Buffer.alloc(0)
  if (path.includes('/generate/')) {
    const plaintext = randomPooled(32)
    const ciphertext = encrypt(KEY, plaintext, context)
    return { status: 200, body: Buffer.from(JSON.stringify({ plaintext: plaintext.toString('base64'), ciphertext: Buffer.from(ciphertext).toString('base64') })) }
  }
  try {
    const plaintext = decrypt(KEY, field('ciphertext') ?? Buffer.alloc(0), context)
    return { status: 200, body: Buffer.from(JSON.stringify({ plaintext: Buffer.from(plaintext).toString('base64') })) }
  } catch {
    return { status: 400, body: Buffer.from('{"message":"decryption failed"}') }
  }
}
