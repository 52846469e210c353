/**
 * SseObjectCrypto: keyhold-s3's {@link ObjectCrypto} hook. Every write that asks for encryption (by
 * header, bucket default or auto-encryption) is encrypted with its own key sealed through the KMS;
 * every read of an encrypted object unseals that key and decrypts only the packages it needs.
 *
 * @module
 */
import type {
  ChecksumSubject, ETagSubject, ObjectCrypto, ReadContext, ReadPlan, StoredChecksumRef, WriteContext, WritePlan, WriteResult,
} from '../extensions.js'
import type { Kms } from '../kms/kms.js'
import { applyBucketDefault } from './bucket-config.js'
import { DareDecrypter } from './dare-decrypter.js'
import { DareEncryptStream } from './dare-stream.js'
import { S3Error, S3_ERRORS, s3err } from '../api/errors.js'
import { isSealedChecksum, sealChecksum, unsealChecksum } from './checksum-seal.js'
import { clientETag, needsObjectKey, sealedETag } from './etag.js'
import { UnsealedETagCache } from './etag-cache.js'
import { newObjectKey, openObjectKey } from './keys.js'
import { META, MetadataError, fromInternal, toInternal, type SseMetadata } from './metadata.js'
import { derivePartKey } from './object-key.js'
import { planRange } from './range.js'
import {
  checkCompatible, checkReadHeaders, classifyWrite, isSseCRequested, isSseKmsRequested, parseSseC, type SseRequest,
} from './request.js'
import { sseResponseHeaders } from './response.js'
import type { MessageLog } from '../../lib/logger.js'
import { UnreadableObjects } from './unreadable-objects.js'

/** Options of {@link SseObjectCrypto}. */
export interface SseOptions {
  /** The KMS connection; undefined when none is configured (SSE-S3/KMS then answer 501). */
  kms?: Kms
  /** MINIO_KMS_AUTO_ENCRYPTION=on: encrypt every write that asks for nothing as SSE-KMS under the default key. */
  autoEncryption?: boolean
  /** Where objects with unreadable encryption metadata, met by a listing, are reported (warn). */
  log?: MessageLog
}

function parseMetadata(internal: unknown): SseMetadata | undefined {
  try {
    return fromInternal(internal)
  } catch (err) {
    if (err instanceof MetadataError) throw S3_ERRORS.objectTampered()
    throw err
  }
}

/** SseObjectCrypto implements encryption at rest as MinIO does with KES. Methods throw S3Error for client-visible failures. */
export class SseObjectCrypto implements ObjectCrypto {
  /**
   * SSE-S3 object keys unsealed to show an ETag, keyed by the request's parsed internal metadata (a fresh object
   * per request), so that the GET which showed the ETag reads with the same key: one KMS decrypt per GET, as
   * MinIO. The next read of that metadata object takes the key out; otherwise it goes with the object.
   */
  private readonly openedKeys = new WeakMap<object, Buffer>()
  /** SSE-S3 ETags unsealed so far, shown while the KMS is unreachable (see etag-cache.ts). */
  private readonly unsealed = new UnsealedETagCache()
  /** When a listing last asked the KMS while it was down (performance.now ms). */
  private lastOfflineProbe = -Infinity
  /** The KMS lookup a listing is making to see whether the KMS is back, if any. */
  private offlineProbe: Promise<void> | undefined
  /** Objects a listing found with unreadable encryption metadata. */
  private readonly unreadable: UnreadableObjects

  constructor(private readonly options: SseOptions) {
    this.unreadable = new UnreadableObjects(options.log)
  }

  async write(ctx: WriteContext): Promise<WritePlan | undefined> {
    switch (ctx.operation) {
      case 'put-object':
      case 'copy-object':
      case 'create-multipart-upload':
        return this.newObject(ctx)
      case 'upload-part':
      case 'upload-part-copy':
        return this.part(ctx)
      case 'complete-multipart-upload':
        return this.complete(ctx)
    }
  }

  private request(ctx: WriteContext): SseRequest {
    const req = classifyWrite(ctx.headers, ctx.secure)
    if (req.kind !== 'none') return req
    return applyBucketDefault(ctx.bucketConfig.get(ctx.bucket, 'encryption'), this.options.autoEncryption === true)
  }

  private async newObject(ctx: WriteContext): Promise<WritePlan | undefined> {
    const req = this.request(ctx)
    if (req.kind === 'none') return undefined
    const multipart = ctx.operation === 'create-multipart-upload'
    const { objectKey, metadata } = await newObjectKey(this.options.kms, req, ctx.bucket, ctx.key, multipart)
    const internal = toInternal(metadata)
    const responseHeaders = sseResponseHeaders(metadata, req.kind === 'SSE-C' ? req.keyMd5 : undefined)
    if (multipart) return { internal, responseHeaders }
    // PutObject forces a random (UUID) ETag for SSE-KMS and SSE-C without Content-MD5; a copy seals the MD5 of
    // what it copied (MinIO putObjectHandler forceMD5, copyObjectHandler).
    const random = ctx.operation === 'put-object' && metadata.kind !== 'SSE-S3' && ctx.headers['content-md5'] === undefined
    return {
      transform: new DareEncryptStream(objectKey),
      internal,
      responseHeaders,
      // The whole object's checksum is sealed under its object key, as its ETag (checksum-seal.ts).
      sealChecksum: (algorithm: string, value: string) => sealChecksum(objectKey, algorithm, value, 0),
      finish: async (result: WriteResult) => {
        const etag = sealedETag(objectKey, result.md5Hex, random)
        const shown = clientETag(metadata.kind, etag, objectKey)
        if (needsObjectKey(metadata.kind, etag)) this.unsealed.set(etag, shown)
        return { etag, clientETag: shown, internal: { ...internal, [META.actualSize]: String(result.plainSize) } }
      },
    }
  }

  private async part(ctx: WriteContext): Promise<WritePlan | undefined> {
    checkCompatible(ctx.headers)
    const metadata = parseMetadata(ctx.upload?.internal)
    if (metadata === undefined || ctx.upload === undefined) {
      // A customer key on a part of an unencrypted upload would otherwise be ignored and the part stored in
      // plaintext while the client believes it encrypted: refused as on an upload of another SSE kind.
      if (isSseCRequested(ctx.headers)) throw S3_ERRORS.invalidEncryptionParameters()
      return undefined
    }
    if (ctx.operation === 'upload-part-copy' && isSseKmsRequested(ctx.headers)) throw s3err('NotImplemented')
    let customerKey: Buffer | undefined
    let keyMd5: string | undefined
    if (metadata.kind === 'SSE-C') {
      if (!isSseCRequested(ctx.headers)) throw S3_ERRORS.sseMultipartEncrypted()
      ;({ key: customerKey, keyMd5 } = parseSseC(ctx.headers, ctx.secure))
    } else if (isSseCRequested(ctx.headers)) {
      throw S3_ERRORS.invalidEncryptionParameters()
    }
    const objectKey = await openObjectKey(this.options.kms, metadata, ctx.bucket, ctx.key, customerKey)
    const partNumber = ctx.upload.partNumber ?? 0
    // A part's ETag is sealed under the object key (not the part key); UploadPart forces a random one for
    // SSE-KMS and SSE-C without Content-MD5, UploadPartCopy never does (MinIO putObjectPartHandler,
    // copyObjectPartHandler). The response shows the MD5 for SSE-S3, else the last 32 hex digits.
    const random = ctx.operation === 'upload-part' && metadata.kind !== 'SSE-S3' && ctx.headers['content-md5'] === undefined
    return {
      // The part key is HMAC(object key, part number): every upload of the same part number (a retry, a
      // replacement, an UploadPartCopy) gets the same key. Its DARE nonce must therefore be fresh and random
      // for each write: a nonce derived from (uploadId, part number), as MinIO derives it, repeats the AES-GCM
      // keystream, so two stored versions of a part XOR to the XOR of their plaintexts, and a repeated GCM
      // nonce leaks the authentication key (forgery). Reads take the nonce from each package header, so parts
      // written with the derived nonce stay readable.
      transform: new DareEncryptStream(derivePartKey(objectKey, partNumber)),
      responseHeaders: sseResponseHeaders(metadata, keyMd5),
      // The part's checksum is sealed under the object key too, bound to its part number: it moves unchanged
      // into the completed object, whose object key is the upload's.
      sealChecksum: (algorithm: string, value: string) => sealChecksum(objectKey, algorithm, value, partNumber),
      finish: async (result: WriteResult) => {
        const etag = sealedETag(objectKey, result.md5Hex, random)
        return { etag, clientETag: clientETag(metadata.kind, etag, objectKey) }
      },
    }
  }

  private async complete(ctx: WriteContext): Promise<WritePlan | undefined> {
    const metadata = parseMetadata(ctx.upload?.internal)
    if (metadata === undefined) return undefined
    const internal = toInternal(metadata)
    // MinIO's erasure CompleteMultipartUpload unseals the object key of SSE-S3 and SSE-KMS uploads (one KMS
    // decrypt) and compares each client part ETag with tryDecryptETag of the stored one: the MD5 for SSE-S3,
    // the last 32 hex digits otherwise (no key needed, so SSE-C completes without its key). The part checksums
    // are sealed, though: an upload with a checksum algorithm needs the object key to check the listed ones and
    // to form the object's, so an SSE-C one completes only with its key, as AWS requires.
    let objectKey: Buffer | undefined
    if (metadata.kind !== 'SSE-C') objectKey = await openObjectKey(this.options.kms, metadata, ctx.bucket, ctx.key)
    else if (isSseCRequested(ctx.headers)) {
      objectKey = await openObjectKey(this.options.kms, metadata, ctx.bucket, ctx.key, parseSseC(ctx.headers, ctx.secure).key)
    }
    const withKey = (): Buffer => {
      if (objectKey === undefined) throw S3_ERRORS.sseMultipartEncrypted()
      return objectKey
    }
    return {
      internal,
      responseHeaders: sseResponseHeaders(metadata),
      clientPartETag: (stored: string) => clientETag(metadata.kind, stored, metadata.kind === 'SSE-C' ? undefined : objectKey),
      openPartChecksum: (partNumber: number, algorithm: string, stored: string) => unsealChecksum(withKey(), algorithm, stored, partNumber),
      sealChecksum: (algorithm: string, value: string) => sealChecksum(withKey(), algorithm, value, 0),
      finish: async (result: WriteResult) => ({ internal: { ...internal, [META.actualSize]: String(result.plainSize) } }),
    }
  }

  /** listedEncryption names the SSE type as MinIO's listing with metadata does (`X-Amz-Server-Side-Encryption`). */
  listedEncryption(internal: unknown): Record<string, string> {
    let metadata: SseMetadata | undefined
    try {
      metadata = fromInternal(internal)
    } catch (err) {
      if (err instanceof MetadataError) return {}
      throw err
    }
    switch (metadata?.kind) {
      case 'SSE-S3': return { 'X-Amz-Server-Side-Encryption': 'AES256' }
      case 'SSE-KMS': return { 'X-Amz-Server-Side-Encryption': 'aws:kms' }
      case 'SSE-C': return { 'X-Amz-Server-Side-Encryption-Customer-Algorithm': 'AES256' }
      default: return {}
    }
  }

  /**
   * clientETags shows stored ETags as MinIO does (`DecryptETags`, `getDecryptedETag`, ListParts'
   * `tryDecryptETag`): one KMS decrypt when an SSE-S3 sealed ETag is among them, none otherwise. In a listing, an
   * object whose encryption metadata cannot be parsed shows MinIO's `ETag.Format` of its stored ETag (a GET of it
   * still fails): one broken object must not fail the listing of its whole bucket. Throws S3Error.
   */
  async clientETags(subject: ETagSubject, etags: string[]): Promise<string[]> {
    let metadata: SseMetadata | undefined
    try {
      metadata = fromInternal(subject.internal)
    } catch (err) {
      if (!(err instanceof MetadataError)) throw err
      if (subject.listing !== true) throw S3_ERRORS.objectTampered()
      this.unreadable.report(subject.bucket, subject.key, err.message)
      // Without a kind no key opens a sealed ETag: shown as MinIO's listing formats one it cannot decrypt.
      return etags.map((e) => clientETag('SSE-KMS', e))
    }
    if (metadata === undefined) return etags
    let objectKey: Buffer | undefined
    if (etags.some((e) => needsObjectKey(metadata.kind, e))) {
      // A listing during an outage asks the KMS at most once a second, not once per object (a KMS that hangs
      // would otherwise hold a page for objects / concurrency time-outs); the other lookups wait for that probe.
      let probing = false
      if (subject.listing === true && this.options.kms?.monitor?.online === false) {
        if (this.offlineProbe !== undefined) await this.offlineProbe
        const now = performance.now()
        if (this.options.kms.monitor.online === false) {
          if (now - this.lastOfflineProbe < 1_000) return this.offlineETags(S3_ERRORS.kmsUnreachable(), metadata.kind, etags, true)
          this.lastOfflineProbe = now
          probing = true
        }
      }
      const opening = openObjectKey(this.options.kms, metadata, subject.bucket, subject.key)
      if (probing) {
        const settled = opening.then(() => undefined, () => undefined)
        this.offlineProbe = settled
        void settled.then(() => {
          if (this.offlineProbe === settled) this.offlineProbe = undefined
        })
      }
      try {
        objectKey = await opening
      } catch (err) {
        return this.offlineETags(err, metadata.kind, etags, subject.listing === true)
      }
      if (typeof subject.internal === 'object' && subject.internal !== null) this.openedKeys.set(subject.internal, objectKey)
    }
    return etags.map((e) => {
      const shown = clientETag(metadata.kind, e, objectKey)
      if (needsObjectKey(metadata.kind, e)) this.unsealed.set(e, shown)
      return shown
    })
  }

  /**
   * offlineETags shows ETags while the KMS is unreachable: the remembered MD5, else (listings only) MinIO's
   * `ETag.Format` fallback, the sealed value's last 32 hex digits. Rethrows `err` for any other failure, and
   * for a HEAD or GET whose ETag was never seen (it answers 503 as the KMS does).
   */
  private offlineETags(err: unknown, kind: SseMetadata['kind'], etags: string[], listing: boolean): string[] {
    if (!(err instanceof S3Error) || err.status !== 503) throw err
    return etags.map((e) => {
      if (!needsObjectKey(kind, e)) return clientETag(kind, e)
      const known = this.unsealed.get(e)
      if (known !== undefined) return known
      if (!listing) throw err
      return e.slice(-32)
    })
  }

  /**
   * clientChecksums opens stored checksum values (checksum-seal.ts): old clear values are shown as they are,
   * sealed ones with the object key, which an SSE-S3 ETag shown in this request may already have opened (and
   * which the request's read then takes, so that a GET with checksum mode makes one KMS decrypt). An SSE-C
   * subject without its key in the request gets undefined for every value, clear ones included. Throws S3Error.
   */
  async clientChecksums(subject: ChecksumSubject, checksums: StoredChecksumRef[]): Promise<Array<string | undefined>> {
    const metadata = parseMetadata(subject.internal)
    if (metadata === undefined) return checksums.map((c) => c.value)
    const copySource = subject.copySource === true
    let customerKey: Buffer | undefined
    if (metadata.kind === 'SSE-C') {
      if (!isSseCRequested(subject.headers, copySource)) return checksums.map(() => undefined)
      customerKey = parseSseC(subject.headers, subject.secure, copySource).key
    }
    if (checksums.length === 0) return []
    // Old clear values need no key; an SSE-C key is checked all the same (it is cheap, no KMS), so that a wrong
    // one sees no checksum at all.
    if (metadata.kind !== 'SSE-C' && !checksums.some((c) => isSealedChecksum(c.value))) return checksums.map((c) => c.value)
    let objectKey = metadata.kind === 'SSE-C' ? undefined : this.peekOpenedKey(subject.internal)
    if (objectKey === undefined) {
      objectKey = await openObjectKey(this.options.kms, metadata, subject.bucket, subject.key, customerKey)
      // Only KMS-sealed keys are kept for the read: an SSE-C read checks its own request's key.
      if (metadata.kind !== 'SSE-C' && typeof subject.internal === 'object' && subject.internal !== null) {
        this.openedKeys.set(subject.internal, objectKey)
      }
    }
    const key = objectKey
    return checksums.map((c) => unsealChecksum(key, c.algorithm, c.value, c.partNumber))
  }

  private peekOpenedKey(internal: unknown): Buffer | undefined {
    return typeof internal === 'object' && internal !== null ? this.openedKeys.get(internal) : undefined
  }

  private takeOpenedKey(internal: unknown): Buffer | undefined {
    if (typeof internal !== 'object' || internal === null) return undefined
    const key = this.openedKeys.get(internal)
    this.openedKeys.delete(internal)
    return key
  }

  async read(ctx: ReadContext): Promise<ReadPlan> {
    const metadata = parseMetadata(ctx.internal)
    if (metadata === undefined) return {}
    if (!ctx.copySource) checkReadHeaders(ctx.headers)
    let customerKey: Buffer | undefined
    let keyMd5: string | undefined
    if (metadata.kind === 'SSE-C') {
      if (!isSseCRequested(ctx.headers, ctx.copySource)) throw S3_ERRORS.sseEncryptedObject()
      ;({ key: customerKey, keyMd5 } = parseSseC(ctx.headers, ctx.secure, ctx.copySource))
    } else if (isSseCRequested(ctx.headers, ctx.copySource)) {
      throw S3_ERRORS.invalidEncryptionParameters()
    }
    const responseHeaders = sseResponseHeaders(metadata, keyMd5)
    if (ctx.range === undefined) {
      this.takeOpenedKey(ctx.internal)
      // A HEAD reads no bytes, so no key here (an SSE-S3 sealed ETag took its one KMS decrypt in clientETags, as
      // MinIO); an SSE-C key is still checked against the sealed key.
      if (metadata.kind === 'SSE-C') await openObjectKey(this.options.kms, metadata, ctx.bucket, ctx.key, customerKey)
      return { responseHeaders }
    }
    const opened = this.takeOpenedKey(ctx.internal)
    const objectKey = opened ?? await openObjectKey(this.options.kms, metadata, ctx.bucket, ctx.key, customerKey)
    const length = Math.max(0, ctx.range.end - ctx.range.start + 1)
    const parts = ctx.parts.map((p) => ({ number: p.partNumber, encSize: p.storedSize }))
    let plan
    try {
      plan = planRange(parts, ctx.range.start, length)
    } catch {
      throw S3_ERRORS.objectTampered()
    }
    const keyOf = (i: number) => (ctx.multipart ? derivePartKey(objectKey, parts[i]!.number) : objectKey)
    const decrypter = new DareDecrypter({
      segments: plan.segments.map((s) => ({ key: keyOf(s.part), startSeq: s.startSeq, encBytes: s.encBytes, toEnd: s.toEnd })),
      skip: plan.skip,
      length: plan.length,
    })
    const storedRange = plan.encLength > 0 ? { start: plan.encOffset, end: plan.encOffset + plan.encLength - 1 } : undefined
    return { storedRange, decrypter, responseHeaders }
  }
}

