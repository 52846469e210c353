/**
 * Decoder for aws-chunked request bodies: `STREAMING-AWS4-HMAC-SHA256-PAYLOAD` (each chunk signed, chained from
 * the seed signature), `STREAMING-UNSIGNED-PAYLOAD-TRAILER` (plain chunks followed by checksum trailers), and
 * `STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER` (signed chunks and a signed trailer). Streams: memory holds at
 * most one protocol line, never a whole chunk.
 *
 * @module
 */
import { createHash, type Hash } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'
import { s3err } from '../../api/errors.js'
import { hmac, sha256Hex } from './canonical.js'
import { sameHex, type SignedRequest } from './verify.js'

const EMPTY_SHA256 = sha256Hex('')
const MAX_LINE = 4096
/**
 * Trailers carry a checksum and its signature: a handful of lines. Without a bound, a client could keep a request
 * open and grow the server's memory a line at a time (trailer bytes count against no declared length).
 */
const MAX_TRAILER_LINES = 16
const MAX_TRAILER_BYTES = 16 * 1024

/** Options of an aws-chunked decoder. */
export interface ChunkedOptions {
  /** Set for signed variants: the verified seed request. */
  signed?: SignedRequest
  /** Whether trailers follow the final chunk. */
  trailer: boolean
  /** Called with each trailer (lower-case name, value) once the body ends. */
  onTrailer?: (name: string, value: string) => void
}

type State = 'size' | 'data' | 'data-crlf' | 'trailer' | 'done'

/** AwsChunkedDecoder turns an aws-chunked body into the payload; errors are S3Errors (SignatureDoesNotMatch, IncompleteBody). */
export class AwsChunkedDecoder extends Transform {
  private state: State = 'size'
  private line = Buffer.alloc(0)
  private remaining = 0
  private chunkSig = ''
  private chunkHash: Hash | undefined
  private prevSig: string
  private trailerLines: string[] = []
  private trailerBytes = 0

  constructor(private readonly opts: ChunkedOptions) {
    super()
    this.prevSig = opts.signed?.seedSignature ?? ''
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.consume(chunk)
      cb()
    } catch (err) {
      cb(err as Error)
    }
  }

  override _flush(cb: TransformCallback): void {
    if (this.state !== 'done') {
      cb(s3err('IncompleteBody'))
      return
    }
    cb()
  }

  private consume(buf: Buffer): void {
    const payload: Buffer[] = []
    try {
      this.consumeInto(buf, payload)
    } finally {
      this.pushPayload(buf, payload)
    }
  }

  /**
   * Hands on the payload found in one network buffer. Slices keep their whole buffer alive, framing included, as
   * long as a reader holds them (a small body is held until it ends): with one-byte chunks and long extensions
   * that would be kilobytes per payload byte. Unless the payload is most of the buffer, it is copied into one
   * allocation of its own (not the shared pool, whose slabs hold other data), so what is held stays near its size.
   */
  private pushPayload(buf: Buffer, payload: Buffer[]): void {
    const size = payload.reduce((n, p) => n + p.length, 0)
    if (size === 0) return
    if (size * 2 >= buf.length) {
      for (const p of payload) this.push(p)
      return
    }
    const copy = Buffer.allocUnsafeSlow(size)
    let at = 0
    for (const p of payload) at += p.copy(copy, at)
    this.push(copy)
  }

  private consumeInto(buf: Buffer, payload: Buffer[]): void {
    let off = 0
    while (off < buf.length) {
      if (this.state === 'done') throw s3err('IncompleteBody', 'Unexpected data after the final chunk.')
      if (this.state === 'data') {
        const n = Math.min(this.remaining, buf.length - off)
        const part = buf.subarray(off, off + n)
        this.chunkHash?.update(part)
        payload.push(part)
        off += n
        this.remaining -= n
        if (this.remaining === 0) this.state = 'data-crlf'
        continue
      }
      const nl = buf.indexOf(0x0a, off)
      const end = nl < 0 ? buf.length : nl + 1
      this.line = Buffer.concat([this.line, buf.subarray(off, end)])
      off = end
      if (this.line.length > MAX_LINE) throw s3err('IncompleteBody', 'Chunk header line too long.')
      if (nl < 0) continue
      const text = this.line.toString('latin1').replace(/\r?\n$/, '')
      this.line = Buffer.alloc(0)
      this.onLine(text)
    }
  }

  private onLine(text: string): void {
    switch (this.state) {
      case 'data-crlf':
        if (text !== '') throw s3err('IncompleteBody', 'Chunk data not followed by CRLF.')
        this.finishChunk()
        this.state = 'size'
        return
      case 'size':
        this.startChunk(text)
        return
      case 'trailer':
        if (text === '') {
          this.finishTrailers()
          this.state = 'done'
        } else {
          this.addTrailerLine(text)
        }
        return
      default:
        throw s3err('IncompleteBody')
    }
  }

  /** Keeps one trailer line. Throws S3Error IncompleteBody for trailers not announced, or too many of them. */
  private addTrailerLine(text: string): void {
    // Only the -TRAILER variants may send trailers: elsewhere the final chunk is followed by an empty line.
    if (!this.opts.trailer) throw s3err('IncompleteBody', 'Unexpected trailer after the final chunk.')
    this.trailerBytes += text.length
    if (this.trailerLines.length >= MAX_TRAILER_LINES || this.trailerBytes > MAX_TRAILER_BYTES) {
      throw s3err('IncompleteBody', 'Too many trailers.')
    }
    this.trailerLines.push(text)
  }

  private startChunk(text: string): void {
    const [sizeHex = '', ...ext] = text.split(';')
    if (!/^[0-9a-fA-F]{1,16}$/.test(sizeHex)) throw s3err('IncompleteBody', 'Malformed chunk size.')
    const size = parseInt(sizeHex, 16)
    if (this.opts.signed !== undefined) {
      const sig = ext.map((e) => e.trim()).find((e) => e.startsWith('chunk-signature='))
      if (sig === undefined) throw s3err('SignatureDoesNotMatch', 'Chunk signature is missing.')
      this.chunkSig = sig.slice('chunk-signature='.length)
      this.chunkHash = createHash('sha256')
    }
    this.remaining = size
    if (size === 0) {
      this.finishChunk()
      // Signed bodies without trailers end with an empty line after the final chunk; trailers end likewise.
      this.state = 'trailer'
      return
    }
    this.state = 'data'
  }

  private finishChunk(): void {
    const signed = this.opts.signed
    if (signed === undefined || this.chunkHash === undefined) return
    const toSign = ['AWS4-HMAC-SHA256-PAYLOAD', signed.amzDate, signed.scope, this.prevSig, EMPTY_SHA256,
      this.chunkHash.digest('hex')].join('\n')
    if (!sameHex(hmac(signed.key, toSign), this.chunkSig)) throw s3err('SignatureDoesNotMatch')
    this.prevSig = this.chunkSig
    this.chunkHash = undefined
  }

  private finishTrailers(): void {
    let trailerSig: string | undefined
    const signedText: string[] = []
    for (const line of this.trailerLines) {
      const colon = line.indexOf(':')
      if (colon <= 0) throw s3err('IncompleteBody', 'Malformed trailer.')
      const name = line.slice(0, colon).trim().toLowerCase()
      const value = line.slice(colon + 1).trim()
      if (name === 'x-amz-trailer-signature') {
        trailerSig = value
        continue
      }
      signedText.push(`${name}:${value}\n`)
      this.opts.onTrailer?.(name, value)
    }
    const signed = this.opts.signed
    if (signed !== undefined && this.opts.trailer) {
      if (trailerSig === undefined) throw s3err('SignatureDoesNotMatch', 'Trailer signature is missing.')
      const toSign = ['AWS4-HMAC-SHA256-TRAILER', signed.amzDate, signed.scope, this.prevSig,
        sha256Hex(signedText.join(''))].join('\n')
      if (!sameHex(hmac(signed.key, toSign), trailerSig)) throw s3err('SignatureDoesNotMatch')
    }
  }
}
