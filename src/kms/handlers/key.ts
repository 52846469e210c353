/**
 * Key management handlers: create, import, describe, list, delete (docs/kes-compatibility.md, "Response shapes").
 *
 * @module
 */
import { z } from 'zod'
import { generateKeyVersion, importKeyVersion, type KeyAlgorithm } from '../crypto/key.js'
import {
  errAlgorithmNotSupported, errCreateKey, errDeleteKey, errGenerateKey, errInvalidImportBody,
  errInvalidKeySize, errInvalidPattern, errListKeys, errReadKey,
} from '../api/errors.js'
import type { ApiHandler } from '../api/route.js'
import type { KesResponse } from '../api/http-types.js'
import { replyEmpty, replyJson } from '../api/reply.js'
import { isValidPattern, listPrefix } from '../api/validate.js'
import { SHARED_KEYSTORE_HEADER, sharedKeystoreHeader } from '../config/shared-keystore.js'
import type { RequestAuditInfo } from '../observability/observe.js'
import type { ServerContext } from '../state.js'
import { bytes, parseBody, rfc3339Nano } from './body.js'
import { keyError } from './key-errors.js'
import { keyName } from './key-name.js'
import { describeVersions } from './key-rotate.js'
import { checkKeyUse, scheduleDeletion, visibleKeys } from './key-state.js'

// kes-go's names and HEAD's names for the two algorithms. A Map: the client names the cipher, and on a
// plain object 'toString' or '__proto__' would find Object.prototype's members.
const CIPHERS: ReadonlyMap<string, KeyAlgorithm> = new Map([
  ['AES256', 'AES256'], ['AES256-GCM_SHA256', 'AES256'], ['ChaCha20', 'ChaCha20'], ['XCHACHA20-POLY1305', 'ChaCha20'],
])

// Missing fields decode as empty, as in Go: no key is then an invalid key size (406), not a bad body.
const ImportBody = z.object({ key: bytes.optional().transform((b) => b ?? Buffer.alloc(0)), cipher: z.string().nullish() })

const note = (res: KesResponse, message: string) => {
  ;(res.locals as RequestAuditInfo).auditMessage = message
}

/** keyHandlers returns the key-management handlers bound to `ctx`. */
export function keyHandlers(ctx: ServerContext): Record<'create' | 'import' | 'describe' | 'list' | 'delete', ApiHandler> {
  return {
    async create(req, res) {
      const name = keyName(req)
      let key
      try {
        key = generateKeyVersion(req.identity)
      } catch (err) {
        throw errGenerateKey(err)
      }
      try {
        await ctx.keys.create(name, key, req.storeSignal)
      } catch (err) {
        throw keyError(err, errCreateKey)
      }
      note(res, `secret key '${name}' created`)
      replyEmpty(res)
    },

    async import(req, res) {
      const name = keyName(req)
      const body = await parseBody(req, ImportBody, errInvalidImportBody)
      const cipher = body.cipher ?? ''
      const algorithm = CIPHERS.get(cipher)
      if (algorithm === undefined) throw errAlgorithmNotSupported(cipher)
      if (body.key.length !== 32) throw errInvalidKeySize(cipher)
      const key = importKeyVersion(body.key, algorithm, req.identity)
      body.key.fill(0)
      try {
        await ctx.keys.create(name, key, req.storeSignal)
      } catch (err) {
        throw keyError(err, errCreateKey)
      }
      note(res, `secret key '${name}' imported`)
      replyEmpty(res)
    },

    async describe(req, res) {
      const name = keyName(req)
      let key
      try {
        key = await ctx.keys.get(name, () => req.storeSignal)
      } catch (err) {
        throw keyError(err, errReadKey)
      }
      await checkKeyUse(ctx, name, key, 'describe', () => req.storeSignal)
      replyJson(res, {
        name,
        ...(key.algorithm ? { algorithm: key.algorithm } : {}),
        created_at: rfc3339Nano(key.createdAt),
        ...(key.createdBy ? { created_by: key.createdBy } : {}),
        // Not KES wire, and only for rotated keys (docs/key-rotation.md).
        ...(await describeVersions(ctx, name, key, () => req.storeSignal)),
      })
    },

    async list(req, res) {
      if (!isValidPattern(req.resource)) throw errInvalidPattern(req.resource)
      let page
      try {
        // Every name in one answer, as KES does (List with n = -1): kms-go continues a listing by sending
        // `continue_at` back as the next *prefix*, so paging by name would silently drop keys.
        page = await ctx.keys.list(listPrefix(req.resource), 0, req.storeSignal)
      } catch (err) {
        throw keyError(err, errListKeys)
      }
      replyJson(res, { names: await visibleKeys(ctx, page.names, req.storeSignal), ...(page.next ? { continue_at: page.next } : {}) })
    },

    async delete(req, res) {
      if (await scheduleDeletion(ctx, req, res)) return
      const name = keyName(req)
      try {
        await ctx.keys.delete(name, req.storeSignal)
      } catch (err) {
        throw keyError(err, errDeleteKey)
      }
      // The key is gone; a state left behind (a failure here) is bound to it and never applies to a new key.
      await ctx.states.clear(name, req.storeSignal).catch((err: unknown) => req.log.warn({ err: String(err), key: name }, 'could not remove the state of a deleted key'))
      note(res, `secret key '${name}' deleted`)
      // Not KES wire: lets `keyhold key rm` say how long other servers on this keystore may still use the key.
      const shared = sharedKeystoreHeader(ctx.state.get().config)
      if (shared !== undefined) res.setHeader(SHARED_KEYSTORE_HEADER, shared)
      replyEmpty(res)
    },
  }
}
