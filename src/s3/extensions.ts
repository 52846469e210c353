/**
 * The extension points of keyhold-s3: how authentication (IAM), authorization (policies), encryption at rest
 * (SSE) and extra HTTP APIs (admin, KMS) plug into the S3 server core. The core calls these hooks; it never
 * knows how they are implemented. Defaults: root credentials only, root allowed and everyone else denied, no
 * encryption, no extra routes.
 *
 * Stability: these shapes are a contract with the IAM and SSE parts. Add optional fields; do not rename.
 *
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http'
import type { Transform } from 'node:stream'
import type { Request, Router } from 'express'
import type { S3Action } from './api/actions.js'

export type { S3Action } from './api/actions.js'

/** Principal is who a request acts as, once its signature is verified. */
export interface Principal {
  kind: 'root' | 'user' | 'service-account'
  /** The access key the request was signed with. */
  accessKey: string
  /** For service accounts: the user (or root) that owns it. */
  parentUser?: string
  /** Groups the user (or the parent user) belongs to, for policy evaluation. */
  groups?: string[]
  /** A session policy attached to the credential (service accounts), as a parsed JSON document. */
  sessionPolicy?: unknown
  /** Free-form claims an IAM implementation wants to carry to its authorizer. */
  claims?: Record<string, unknown>
}

/** Credential is what a {@link CredentialProvider} knows about one access key. */
export interface Credential {
  accessKey: string
  secretKey: string
  principal: Principal
  /** A disabled credential is refused with InvalidAccessKeyId "Your account is disabled…". */
  disabled?: boolean
}

/**
 * CredentialProvider looks up the secret behind an access key. lookup resolves undefined for an unknown (or
 * expired) key, which the core answers with 403 InvalidAccessKeyId; it may reject, which the core answers with
 * 503 ServiceUnavailable (e.g. IAM not loaded yet) and logs without the key.
 */
export interface CredentialProvider {
  lookup(accessKey: string): Promise<Credential | undefined>
}

/** AuthzRequest is one authorization question: may this principal perform this action on this resource? */
export interface AuthzRequest {
  /** null for anonymous (unsigned) requests. */
  principal: Principal | null
  action: S3Action
  bucket?: string
  key?: string
  /**
   * Condition keys for policy evaluation: `s3:prefix`, `s3:delimiter`, `s3:max-keys`, `aws:SecureTransport`,
   * `aws:SourceIp`, `aws:CurrentTime`, `aws:EpochTime`, `aws:UserAgent`, `aws:Referer`, `aws:username`,
   * `s3:x-amz-server-side-encryption`, `s3:x-amz-copy-source`, `s3:x-amz-metadata-directive`, ...
   */
  conditions: Record<string, string[]>
  /** The object version the request names (`versionId`), when it names one. */
  versionId?: string
}

/**
 * Authorizer decides whether a request may proceed. authorize resolves false to deny (403 AccessDenied); a
 * rejection is answered 500 InternalError and logged. Called once per S3 operation, after authentication, before
 * any body is read; CopyObject and UploadPartCopy make a second call for `s3:GetObject` on the source.
 */
export interface Authorizer {
  authorize(req: AuthzRequest): Promise<boolean>
}

/**
 * BucketConfigStore is a generic per-bucket key/value store (bucket_config table) for configuration owned by
 * other parts: `encryption` (PutBucketEncryption XML/JSON), `policy` (bucket policy JSON), ... Values are
 * strings; deleting a bucket deletes its config. Synchronous (SQLite). Methods throw only on I/O failure.
 */
export interface BucketConfigStore {
  get(bucket: string, name: string): string | undefined
  set(bucket: string, name: string, value: string): void
  delete(bucket: string, name: string): void
  /** bucketExists tells whether a bucket exists (so config handlers can answer NoSuchBucket). */
  bucketExists(bucket: string): boolean
}

/** The write operations an {@link ObjectCrypto} sees. */
export type WriteOperation =
  | 'put-object'
  | 'copy-object'
  | 'create-multipart-upload'
  | 'upload-part'
  | 'upload-part-copy'
  | 'complete-multipart-upload'

/** WriteContext describes one object write to {@link ObjectCrypto.write}. */
export interface WriteContext {
  operation: WriteOperation
  bucket: string
  key: string
  /** The request headers (SSE headers, SSE-C key headers, Content-MD5, ...). */
  headers: IncomingHttpHeaders
  /** Whether the request arrived over TLS (SSE-C must be refused otherwise). */
  secure: boolean
  bucketConfig: BucketConfigStore
  /**
   * For upload-part, upload-part-copy and complete-multipart-upload: the upload and the internal metadata
   * {@link WritePlan.internal} returned at create-multipart-upload.
   */
  upload?: { uploadId: string; partNumber?: number; internal: unknown }
  /** For copy-object: the source's internal metadata (a copy onto itself with new SSE headers = key rotation). */
  source?: { bucket: string; key: string; internal: unknown }
}

/** What a write produced, passed to {@link WritePlan.finish}. */
export interface WriteResult {
  /** Plaintext bytes written (what clients see as Content-Length). */
  plainSize: number
  /** Bytes stored on disk (after the transform). */
  storedSize: number
  /** Hex MD5 of the plaintext (the ETag the core would use). */
  md5Hex: string
}

/**
 * WritePlan is how an {@link ObjectCrypto} takes part in one write. The core pipes plaintext through
 * `transform` (when given) into the stored file, then calls `finish` before committing metadata.
 */
export interface WritePlan {
  /** plaintext → stored bytes. A fresh instance per write. Omitted for create/complete-multipart. */
  transform?: Transform
  /** Opaque internal metadata persisted with the object (or upload) as JSON; never shown to clients. */
  internal?: unknown
  /** Response headers to add (x-amz-server-side-encryption, ...); also returned on GET/HEAD via ReadPlan. */
  responseHeaders?: Record<string, string>
  /**
   * finish runs after the bytes are written, before the metadata commit; it may replace the ETag (SSE-KMS
   * random ETags, sealed ETags) and the internal metadata. `clientETag` is the ETag the response shows when it
   * differs from the stored `etag` (a sealed ETag is stored, its MD5 or last 32 hex digits are shown). A
   * rejection aborts the write.
   */
  finish?(result: WriteResult): Promise<{ etag?: string; internal?: unknown; clientETag?: string }>
  /**
   * For complete-multipart-upload: the ETag the client was shown for a stored part ETag. The client's part list
   * is checked against it and the object's `md5-N` ETag computed from it. Throws S3Error.
   */
  clientPartETag?(stored: string): string
  /**
   * sealChecksum returns the form in which to store a checksum value (x-amz-checksum-*, base64) of what this
   * plan writes: the object's whole checksum (put-object, copy-object, complete-multipart-upload) or the part's
   * (upload-part, upload-part-copy). When absent the value is stored as is. Throws S3Error only where the plan
   * lacks the key (an SSE-C complete-multipart-upload without its key, refused before by openPartChecksum).
   */
  sealChecksum?(algorithm: string, value: string): string
  /**
   * For complete-multipart-upload: the checksum value (base64) a stored part checksum stands for, to check the
   * client's part list against and to compute the object's checksum from. Called only when the upload has a
   * checksum algorithm. Throws S3Error (InvalidRequest when the SSE-C key it needs is not in the request,
   * AccessDenied for a wrong one, InternalError for a value that does not open).
   */
  openPartChecksum?(partNumber: number, algorithm: string, stored: string): string
}

/** Part sizes of a multipart object, in part order. */
export interface PartSizes {
  partNumber: number
  plainSize: number
  storedSize: number
  etag: string
}

/** ReadContext describes one object read (GET, HEAD, range GET, copy source) to {@link ObjectCrypto.read}. */
export interface ReadContext {
  bucket: string
  key: string
  headers: IncomingHttpHeaders
  secure: boolean
  /** Whether this read is a copy source (SSE-C source keys come in x-amz-copy-source-server-side-encryption-…). */
  copySource: boolean
  /** The internal metadata persisted at write time. */
  internal: unknown
  plainSize: number
  storedSize: number
  /** The object's parts (one entry for a single-part object), with plain and stored sizes. */
  parts: PartSizes[]
  /** Whether the object was created by a multipart upload. */
  multipart: boolean
  /** The requested plaintext range, inclusive; undefined when no body is sent (HEAD, or an empty object). */
  range?: { start: number; end: number }
}

/**
 * ChunkDecrypter turns the stored bytes of a read plan, pushed in order in chunks of any size, into exactly the
 * requested plaintext. It is synchronous so that the GET path can read into reused buffers and copy the
 * plaintext into reused buffers (storage/range-writer.ts): fresh memory per chunk costs more than the cipher.
 */
export interface ChunkDecrypter {
  /**
   * push takes the next stored bytes and passes the plaintext they complete to `emit`, in order (the pieces
   * are the caller's to keep). It keeps no reference to `chunk`, which the caller may then reuse.
   * Throws (e.g. the stored bytes are not authentic); the decrypter is then done.
   */
  push(chunk: Buffer, emit: (plaintext: Buffer) => void): void
  /** end says the stored bytes are all pushed: passes what is left to `emit`, throws if bytes are missing. */
  end(emit: (plaintext: Buffer) => void): void
  /**
   * The stored bytes of each part come in units of this size (DARE packages), from the start of what is read
   * of the part: chunks of whole units spare the decrypter copying a unit split between two chunks.
   */
  readonly unit?: number
}

/**
 * ReadPlan says which stored bytes to read and how to turn them into exactly the requested plaintext.
 * `storedRange` is inclusive and relative to the concatenation of the stored parts.
 */
export interface ReadPlan {
  storedRange?: { start: number; end: number }
  /**
   * stored bytes → the requested plaintext bytes, exactly (end - start + 1) of them. Give this or `transform`;
   * neither: the stored bytes are the plaintext. GET serves a decrypter from reused buffers, a transform as a stream.
   */
  decrypter?: ChunkDecrypter
  /** The same as a stream, for a hook whose cipher is one (slower on GET: fresh buffers per chunk). */
  transform?: Transform
  responseHeaders?: Record<string, string>
}

/**
 * ObjectCrypto is the encryption-at-rest hook. `write` resolves undefined to store plaintext as is. `read` is
 * called only for objects whose internal metadata is not null/undefined. Throwing an S3Error (e.g.
 * AccessDenied for a wrong SSE-C key, NotImplemented for no KMS) answers that error; other rejections are 500.
 */
export interface ObjectCrypto {
  write(ctx: WriteContext): Promise<WritePlan | undefined>
  read(ctx: ReadContext): Promise<ReadPlan>
  /**
   * clientETags maps stored ETags of one object (or of one upload's parts) to what clients see: GET/HEAD,
   * listings, ListParts and conditional headers use it. Called only when the internal metadata is not
   * null/undefined; when absent, stored ETags are shown. Throws S3Error (e.g. `kms:*` when a KMS decrypt is
   * needed and fails).
   */
  clientETags?(subject: ETagSubject, etags: string[]): Promise<string[]>
  /**
   * clientChecksums maps stored checksum values of one object (or of one upload's parts), as
   * {@link WritePlan.sealChecksum} stored them, to the values clients see: GET/HEAD with checksum mode,
   * GetObjectAttributes, ListParts and CopyObject use it. Called only when the internal metadata is not
   * null/undefined; when absent, stored values are shown. An entry is undefined when it cannot be shown to
   * this request: an SSE-C object or upload whose key the request does not carry. Opening a sealed value
   * needs the object key (one KMS decrypt for SSE-S3/SSE-KMS, unless this request already made it).
   * Throws S3Error (`kms:*`/503 when the KMS is needed and fails, AccessDenied for a wrong SSE-C key,
   * InternalError for a value that does not open).
   */
  clientChecksums?(subject: ChecksumSubject, checksums: StoredChecksumRef[]): Promise<Array<string | undefined>>
  /**
   * listedEncryption names an object's encryption as a listing with metadata shows it (MinIO's
   * `ListObjectsV2?metadata=true`): header name to value, empty for an object not encrypted or whose metadata is
   * unreadable (one broken object must not fail a listing). Needs no key and no KMS; throws nothing.
   */
  listedEncryption?(internal: unknown): Record<string, string>
}

/** ChecksumSubject is the object or multipart upload whose stored checksums {@link ObjectCrypto.clientChecksums} maps. */
export interface ChecksumSubject {
  bucket: string
  key: string
  /** The internal metadata persisted with the object or upload. */
  internal: unknown
  /** The request headers (an SSE-C key). */
  headers: IncomingHttpHeaders
  secure: boolean
  /** Whether the object is a copy source (its SSE-C key comes in x-amz-copy-source-server-side-encryption-…). */
  copySource?: boolean
}

/** One stored checksum value: the whole object's (`partNumber` 0) or a part's. */
export interface StoredChecksumRef {
  partNumber: number
  algorithm: string
  value: string
}

/** ETagSubject is the object or multipart upload whose stored ETags {@link ObjectCrypto.clientETags} maps. */
export interface ETagSubject {
  bucket: string
  key: string
  /** The internal metadata persisted with the object or upload. */
  internal: unknown
  /**
   * Set for a bucket listing: while the KMS is unreachable an ETag that cannot be shown otherwise is shown as
   * MinIO's `ETag.Format` of the sealed value (its last 32 hex digits) rather than failing the whole listing.
   */
  listing?: boolean
}

/** The authenticated caller of an extra route, or null for an anonymous request. */
export interface Authenticated {
  credential: Credential | null
  /** The request body, read fully (bounded) and verified against x-amz-content-sha256. */
  body: Buffer
}

/** ExtensionContext is what the core offers extra routers. */
export interface ExtensionContext {
  /**
   * authenticate verifies the request's SigV4 signature (headers or presigned) and reads its body (at most
   * maxBody bytes, default 1 MiB). Throws S3Error (InvalidAccessKeyId, SignatureDoesNotMatch, AccessDenied for
   * a missing signature when anonymous is false, EntityTooLarge, ...).
   */
  authenticate(req: Request, options?: { maxBody?: number; anonymous?: boolean }): Promise<Authenticated>
  credentials: CredentialProvider
  bucketConfig: BucketConfigStore
  /** The server's region (what it signs and verifies with), '' when any region is accepted. */
  region: string
  /** The server's Authorizer, so extra routes authorize their own actions (e.g. `kms:KeyStatus`) like S3 ones. */
  authorizer?: Authorizer
}

/** ExtraRoutes mounts routers before the S3 routes, e.g. `{ prefix: '/minio/admin/v3', router }`. */
export interface ExtraRoute {
  prefix: string
  router: (ctx: ExtensionContext) => Router
}

/** A bucket subresource request (`GET|PUT|DELETE /{bucket}?encryption`, `?policy`), already authorized. */
export interface SubresourceRequest {
  method: 'GET' | 'PUT' | 'DELETE'
  bucket: string
  principal: Principal | null
  headers: IncomingHttpHeaders
  /** The request body (PUT), at most 1 MiB, verified against the signature. */
  body: Buffer
  bucketConfig: BucketConfigStore
}

/** What a subresource handler answers; the core adds request ids and sends it. */
export interface SubresourceResponse {
  status: number
  headers?: Record<string, string>
  body?: string | Buffer
}

/**
 * SubresourceHandler serves one bucket subresource (e.g. `encryption` for Get/Put/DeleteBucketEncryption,
 * `policy` for bucket policies). The core checks the bucket exists (NoSuchBucket) and authorizes the operation
 * first. Throw S3Error for S3 errors.
 */
export type SubresourceHandler = (req: SubresourceRequest) => Promise<SubresourceResponse>
