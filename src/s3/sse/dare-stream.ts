/**
 * DARE 2.0 encryption of object bytes as a Node Transform stream (decryption: dare-decrypter.ts).
 *
 * @module
 */
import { randomBytes } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'
import { ByteQueue } from './byte-queue.js'
import { MAX_PAYLOAD, sealPackage } from './dare.js'

/**
 * DareEncryptStream turns plaintext into a DARE 2.0 stream under `key` (32 bytes) and a fresh random
 * nonce. A nonce is given only by tests (known-answer vectors, streams as older versions wrote them):
 * a nonce used twice under one key repeats the AES-GCM keystream. It holds back one byte so the final
 * package is known; empty input yields empty output.
 */
export class DareEncryptStream extends Transform {
  private readonly queue = new ByteQueue()
  private seq = 0
  private readonly nonce: Buffer

  /** Throws RangeError for a bad key or nonce size. */
  constructor(private readonly key: Buffer, nonce?: Buffer) {
    super()
    if (key.length !== 32) throw new RangeError('invalid DARE key size')
    if (nonce !== undefined && nonce.length !== 12) throw new RangeError('invalid DARE nonce size')
    this.nonce = nonce ?? randomBytes(12)
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.queue.push(chunk)
    try {
      while (this.queue.length > MAX_PAYLOAD) this.emit_(false)
      done()
    } catch (err) {
      done(err as Error)
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      if (this.queue.length > 0) this.emit_(true)
      done()
    } catch (err) {
      done(err as Error)
    }
  }

  private emit_(final: boolean): void {
    const pieces = this.queue.take(Math.min(MAX_PAYLOAD, this.queue.length))
    for (const b of sealPackage(this.key, this.nonce, this.seq++, final, pieces)) this.push(b)
  }
}
