/**
 * Request bodies: decodes the payload (plain or aws-chunked) and checks it while it streams — length,
 * x-amz-content-sha256, Content-MD5 and x-amz-checksum-* (header or trailer). The checks fire when the body
 * ends, before anything is committed, so a bad body never becomes an object.
 *
 * @module
 */
import { createHash, type Hash } from 'node:crypto'
import type { Readable } from 'node:stream'
import { Transform, type TransformCallback } from 'node:stream'
import {
  algorithmOfHeader, checksumHeader, newHasher, parseAlgorithm, type ChecksumAlgorithm, type Hasher,
} from '../checksum/checksum.js'
import { s3err } from './errors.js'
import { AwsChunkedDecoder } from '../auth/sigv4/chunked.js'
import { checkPayloadHash } from '../auth/sigv4/verify.js'
import { openOffloadedHash, type BodyDigests, type OffloadedHash } from '../checksum/hash-pool.js'
import { PooledChunker } from './pooled-chunks.js'
import { header, type Ctx } from './context.js'

/**
 * InlineHashes hashes on the event loop: for small bodies, where handing bytes to a worker costs more than
 * hashing them.
 */
class InlineHashes {
  private readonly md5: Hash = createHash('md5')
  private readonly sha256: Hash | undefined
  private readonly hasher: Hasher | undefined
  constructor(sha256: boolean, algorithm: ChecksumAlgorithm | undefined) {
    if (sha256) this.sha256 = createHash('sha256')
    if (algorithm !== undefined) this.hasher = newHasher(algorithm)
  }
  update(chunk: Buffer): void {
    this.md5.update(chunk)
    this.sha256?.update(chunk)
    this.hasher?.update(chunk)
  }
  digest(): BodyDigests {
    return { md5Hex: this.md5.digest('hex'), sha256Hex: this.sha256?.digest('hex'), checksumBase64: this.hasher?.digest().toString('base64') }
  }
}

/**
 * BodyCheck counts, hashes and verifies the decoded payload; its results are valid after 'end'. Bodies of
 * OFFLOAD_MIN bytes or more (or of unknown length) are hashed by a worker thread ({@link openOffloadedHash}),
 * so the event loop only decrypts and moves bytes.
 */
export class BodyCheck extends Transform {
  size = 0
  md5Hex = ''
  /** The checksum computed (for the algorithm the client asked for), base64. */
  checksum: { algorithm: ChecksumAlgorithm; value: string } | undefined
  /** Trailer values arrive while the body streams; set by the chunked decoder. */
  readonly trailers = new Map<string, string>()
  private readonly inline: InlineHashes | undefined
  /** Opened with the first byte, so a body that never streams leaves nothing behind in a worker. */
  private offloaded: OffloadedHash | undefined
  private readonly chunker: PooledChunker | undefined
  private pending: Buffer[] = []
  private pendingBytes = 0

  constructor(
    private readonly expected: {
      size?: number
      sha256Hex?: string
      md5Base64?: string
      checksum?: { algorithm: ChecksumAlgorithm; value?: string; trailer?: boolean }
    },
  ) {
    super({ highWaterMark: 1 << 20 })
    if (expected.size === undefined || expected.size >= OFFLOAD_MIN) {
      // One holder: whoever writes the buffer downstream (the hash worker gets a copy).
      this.chunker = new PooledChunker(1)
    } else {
      this.inline = new InlineHashes(expected.sha256Hex !== undefined, expected.checksum?.algorithm)
    }
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.size += chunk.length
    if (this.expected.size !== undefined && this.size > this.expected.size) {
      cb(s3err('IncompleteBody', 'The request body is longer than its declared length.'))
      return
    }
    if (this.chunker !== undefined) {
      const hashes = this.offloaded ??= this.openHashes()
      this.chunker.add(chunk, (full) => {
        hashes.update(full)
        this.push(full)
      })
      // Backpressure from the hash worker: if it falls behind, stop reading the socket rather than buffer.
      hashes.whenBelow(MAX_HASH_BACKLOG, () => cb())
      return
    }
    this.inline!.update(chunk)
    // TLS delivers ~16 KiB records: pass on fewer, larger buffers so later stages and file writes run less often.
    this.pending.push(chunk)
    this.pendingBytes += chunk.length
    if (this.pendingBytes >= COALESCE) this.pushPending()
    cb()
  }

  private pushPending(): void {
    if (this.pendingBytes === 0) return
    this.push(this.pending.length === 1 ? this.pending[0] : Buffer.concat(this.pending, this.pendingBytes))
    this.pending = []
    this.pendingBytes = 0
  }

  override _flush(cb: TransformCallback): void {
    // Verify before the last bytes go on: a bad body must never complete a write.
    if (this.inline !== undefined) {
      try {
        this.verify(this.inline.digest())
        this.pushPending()
        cb()
      } catch (err) {
        cb(err as Error)
      }
      return
    }
    const rest = this.chunker!.take()
    const hashes = this.offloaded ?? this.openHashes()
    this.offloaded = undefined
    if (rest !== undefined) hashes.update(rest)
    hashes.digest().then((d) => {
      this.verify(d)
      if (rest !== undefined) this.push(rest)
      cb()
    }).catch((err: unknown) => cb(err as Error))
  }

  override _destroy(err: Error | null, cb: (error?: Error | null) => void): void {
    this.offloaded?.drop()
    this.offloaded = undefined
    cb(err)
  }

  /** openHashes starts this body's session in a hash worker: MD5, plus what the request asks to verify. */
  private openHashes(): OffloadedHash {
    return openOffloadedHash({ sha256: this.expected.sha256Hex !== undefined, checksum: this.expected.checksum?.algorithm })
  }

  private verify(d: BodyDigests): void {
    const exp = this.expected
    if (exp.size !== undefined && this.size !== exp.size) throw s3err('IncompleteBody')
    this.md5Hex = d.md5Hex
    if (exp.md5Base64 !== undefined && Buffer.from(d.md5Hex, 'hex').toString('base64') !== exp.md5Base64) throw s3err('BadDigest')
    if (exp.sha256Hex !== undefined && d.sha256Hex !== exp.sha256Hex) throw s3err('XAmzContentSHA256Mismatch')
    if (exp.checksum !== undefined && d.checksumBase64 !== undefined) {
      const value = d.checksumBase64
      const given = exp.checksum.trailer === true ? this.trailers.get(checksumHeader(exp.checksum.algorithm)) : exp.checksum.value
      if (given !== undefined && given !== value) {
        throw s3err('BadDigest', `The ${exp.checksum.algorithm} you specified did not match the calculated checksum.`)
      }
      if (given === undefined && exp.checksum.trailer === true) {
        throw s3err('InvalidRequest', 'The x-amz-trailer header was declared but the trailer is missing.')
      }
      this.checksum = { algorithm: exp.checksum.algorithm, value }
    }
  }
}

/** Decoded is a request payload ready to stream, with its checker (pipe `stream` through nothing else first). */
export interface Decoded {
  stream: Readable
  check: BodyCheck
  /** The payload length if known up front. */
  size: number | undefined
}

const SHA256_HEX = /^[0-9a-f]{64}$/
const COALESCE = 512 * 1024
/** Bodies this large (or of unknown length) are hashed by a worker thread. */
const OFFLOAD_MIN = 256 * 1024
/** Bytes a body may have waiting for its hash worker before reading pauses. */
const MAX_HASH_BACKLOG = 4 * 1024 * 1024

/**
 * decodeBody prepares a request's payload for streaming. Throws S3Error: MissingContentLength,
 * InvalidArgument / InvalidDigest (bad headers), InvalidRequest (unsupported x-amz-content-sha256).
 */
export function decodeBody(ctx: Ctx, opts: { requireLength?: boolean } = {}): Decoded {
  const req = ctx.req
  const contentSha = ctx.signed?.payloadHash ?? header(req, 'x-amz-content-sha256') ?? 'UNSIGNED-PAYLOAD'
  const contentLength = parseLength(header(req, 'content-length'), 'Content-Length')
  const streaming = contentSha.startsWith('STREAMING-')
  let size = streaming ? parseLength(header(req, 'x-amz-decoded-content-length'), 'x-amz-decoded-content-length') : contentLength
  if (size === undefined && contentLength === undefined && header(req, 'transfer-encoding') === undefined) size = 0
  if (opts.requireLength === true && size === undefined) throw s3err('MissingContentLength')
  const md5 = header(req, 'content-md5')
  if (md5 !== undefined && !/^[A-Za-z0-9+/]{22}==$/.test(md5)) throw s3err('InvalidDigest')
  const checksum = checksumExpectation(ctx)
  const check = new BodyCheck({
    size, md5Base64: md5, checksum,
    sha256Hex: ctx.signed !== null && SHA256_HEX.test(contentSha) ? contentSha : undefined,
  })
  let source: Readable = req
  if (streaming) {
    const trailer = contentSha.endsWith('-TRAILER')
    if (contentSha === 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' || contentSha === 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER'
      || contentSha === 'STREAMING-UNSIGNED-PAYLOAD-TRAILER') {
      const signed = contentSha.startsWith('STREAMING-AWS4') ? ctx.signed ?? undefined : undefined
      if (contentSha.startsWith('STREAMING-AWS4') && signed === undefined) throw s3err('AccessDenied')
      const decoder = new AwsChunkedDecoder({ signed, trailer, onTrailer: (n, v) => check.trailers.set(n, v) })
      req.on('error', (err) => decoder.destroy(err))
      source = req.pipe(decoder)
    } else {
      throw s3err('InvalidRequest', `Unsupported x-amz-content-sha256 value: ${contentSha}`)
    }
  } else if (ctx.signed !== null) {
    checkPayloadHash(contentSha)
  }
  source.on('error', (err) => check.destroy(err))
  // A small body is read, and its checks fail, while the handler still awaits other things (the KMS
  // for a data key, the object lock): the error must wait for the consumer, who finds it on the
  // destroyed stream (pipeline, for await), and never go unhandled, which would end the process.
  check.on('error', keptForTheConsumer)
  return { stream: source.pipe(check), check, size }
}

function keptForTheConsumer(): void {
  // See decodeBody.
}

function parseLength(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d{1,16}$/.test(value)) throw s3err('InvalidArgument', `Invalid ${name}`)
  return Number(value)
}

function checksumExpectation(ctx: Ctx): { algorithm: ChecksumAlgorithm; value?: string; trailer?: boolean } | undefined {
  const req = ctx.req
  const trailer = header(req, 'x-amz-trailer')
  if (trailer !== undefined) {
    const algorithm = algorithmOfHeader(trailer.trim())
    if (algorithm === undefined) throw s3err('InvalidRequest', `Unsupported trailer: ${trailer}`)
    return { algorithm, trailer: true }
  }
  for (const name of Object.keys(req.headers)) {
    const algorithm = algorithmOfHeader(name)
    if (algorithm !== undefined) {
      const value = header(req, name) ?? ''
      if (!/^[A-Za-z0-9+/]+=*$/.test(value)) throw s3err('InvalidRequest', `Value for ${name} header is invalid.`)
      return { algorithm, value }
    }
    if (name.startsWith('x-amz-checksum-') && name !== 'x-amz-checksum-algorithm' && name !== 'x-amz-checksum-type' && name !== 'x-amz-checksum-mode') {
      throw s3err('InvalidRequest', `Unsupported checksum header: ${name}`)
    }
  }
  const algo = header(req, 'x-amz-sdk-checksum-algorithm') ?? header(req, 'x-amz-checksum-algorithm')
  if (algo !== undefined) return { algorithm: parseAlgorithm(algo) }
  return undefined
}

/**
 * readSmallBody reads a whole (small) body, verified, for XML requests. Throws S3Error EntityTooLarge past
 * limit, and the checks of {@link decodeBody}.
 */
export async function readSmallBody(ctx: Ctx, limit = 1 << 20): Promise<Buffer> {
  const { stream, size } = decodeBody(ctx)
  if (size !== undefined && size > limit) throw s3err('EntityTooLarge', 'Your request body is too large.')
  const chunks: Buffer[] = []
  let total = 0
  for await (const chunk of stream) {
    total += (chunk as Buffer).length
    if (total > limit) throw s3err('EntityTooLarge', 'Your request body is too large.')
    chunks.push(chunk as Buffer)
  }
  return Buffer.concat(chunks)
}

