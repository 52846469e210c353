/**
 * Cryptographic key handlers: generate, encrypt, decrypt, bulk decrypt, hmac
 * (docs/kes-compatibility.md, "Response shapes").
 * Plaintexts and data keys only ever go into the response body: never into logs or errors.
 *
 * @module
 */
import { z } from 'zod'
import { encrypt } from '../crypto/ciphertext.js'
import { hmac, NoHmacKeyError } from '../crypto/hmac.js'
import { randomPooled } from '../crypto/random-pool.js'
import type { KeyVersion } from '../crypto/key.js'
import {
  errEncrypt, errGenerateKey, errInvalidBody, errNoHmac, errReadKey, errTooManyCiphertexts,
} from '../api/errors.js'
import type { ApiHandler, ApiRequest } from '../api/route.js'
import { replyJson } from '../api/reply.js'
import type { ServerContext } from '../state.js'
import { bytes, parseBody, parseBytesBody } from './body.js'
import { keyName } from './key-name.js'
import { keyError } from './key-errors.js'
import { versionedOpener } from './key-versions.js'
import { checkKeyUse, type KeyUse } from './key-state.js'

const b64 = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64')
const optionalBytes = bytes.optional().transform((b) => b ?? Buffer.alloc(0))

// Go's decoder ignores unknown fields (e.g. `version`) and leaves missing ones empty: we do the
// same. The single-object bodies are checked by parseBytesBody (the hot path); the bulk body by zod.
const GENERATE = ['context'] as const
const ENCRYPT = ['plaintext', 'context'] as const
const DECRYPT = ['ciphertext', 'context'] as const
const HMAC = ['message'] as const
const BulkBody = z.array(z.object({ ciphertext: optionalBytes, context: optionalBytes }))

/** Old MinIO sends at most this many ciphertexts per bulk call (docs/kes-compatibility.md, "Routes"). */
const MAX_BULK = 1000

/** cryptoHandlers returns the cryptographic handlers bound to `ctx`. */
export function cryptoHandlers(ctx: ServerContext): Record<'generate' | 'encrypt' | 'decrypt' | 'bulkDecrypt' | 'hmac', ApiHandler> {
  const getKey = async (req: ApiRequest, name: string, use: KeyUse = 'seal'): Promise<KeyVersion> => {
    // Asked for on a cache miss only: a cache hit makes no deadline (this is the hot path).
    const deadline = () => req.storeSignal
    let key: KeyVersion
    try {
      key = await ctx.keys.get(name, deadline)
    } catch (err) {
      throw keyError(err, errReadKey)
    }
    // Disabled and scheduled keys (key-state.ts): refused here, before any cryptography.
    await checkKeyUse(ctx, name, key, use, deadline)
    return key
  }
  // Every failure reads the same to the client, whatever the cause (kms-go ErrDecrypt); older
  // versions of a rotated key are tried after the current one (docs/key-rotation.md).
  const open = versionedOpener(ctx)

  return {
    async generate(req, res) {
      const name = keyName(req)
      // An empty body means an empty context (KES parses the body only when there is one).
      const body = await parseBytesBody(req, GENERATE, errInvalidBody, {})
      const key = await getKey(req, name)
      let plaintext: Buffer
      try {
        plaintext = randomPooled(32)
      } catch (err) {
        throw errGenerateKey(err)
      }
      let ciphertext: Uint8Array
      try {
        ciphertext = encrypt(key, plaintext, body.context)
      } catch (err) {
        throw errEncrypt(err)
      }
      replyJson(res, { plaintext: b64(plaintext), ciphertext: b64(ciphertext) })
      plaintext.fill(0)
    },

    async encrypt(req, res) {
      const name = keyName(req)
      const body = await parseBytesBody(req, ENCRYPT, errInvalidBody)
      const key = await getKey(req, name)
      let ciphertext: Uint8Array
      try {
        ciphertext = encrypt(key, body.plaintext, body.context)
      } catch (err) {
        throw errEncrypt(err)
      } finally {
        body.plaintext.fill(0)
      }
      replyJson(res, { ciphertext: b64(ciphertext) })
    },

    async decrypt(req, res) {
      const name = keyName(req)
      const body = await parseBytesBody(req, DECRYPT, errInvalidBody)
      const key = await getKey(req, name, 'open')
      const plaintext = await open(name, key, body.ciphertext, body.context, () => req.storeSignal)
      replyJson(res, { plaintext: b64(plaintext) })
    },

    async bulkDecrypt(req, res) {
      const name = keyName(req)
      const items = await parseBody(req, BulkBody, errInvalidBody)
      if (items.length > MAX_BULK) throw errTooManyCiphertexts()
      const key = await getKey(req, name, 'open')
      // The first failing item fails the whole call, as in KES v0.22.
      const out = []
      for (const item of items) out.push({ plaintext: b64(await open(name, key, item.ciphertext, item.context, () => req.storeSignal)) })
      replyJson(res, out)
    },

    async hmac(req, res) {
      const name = keyName(req)
      const body = await parseBytesBody(req, HMAC, errInvalidBody)
      const key = await getKey(req, name)
      let mac: Uint8Array
      try {
        mac = hmac(key, body.message)
      } catch (err) {
        if (err instanceof NoHmacKeyError) throw errNoHmac(err)
        throw err
      }
      replyJson(res, { hmac: b64(mac) })
    },
  }
}
