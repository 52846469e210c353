/**
 * A read plan's decrypter as a Transform stream, for the paths that stream stored bytes into another
 * writer (CopyObject and UploadPartCopy of encrypted sources). GET does not stream: range-writer.ts.
 *
 * @module
 */
import { Transform, type TransformCallback } from 'node:stream'
import type { ChunkDecrypter } from '../extensions.js'

/** DecryptStream: stored bytes in, plaintext out; a decrypter's error destroys the stream with that error. */
export class DecryptStream extends Transform {
  constructor(private readonly decrypter: ChunkDecrypter) {
    super()
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    try {
      this.decrypter.push(chunk, (plaintext) => this.push(plaintext))
      done()
    } catch (err) {
      done(err as Error)
    }
  }

  override _flush(done: TransformCallback): void {
    try {
      this.decrypter.end((plaintext) => this.push(plaintext))
      done()
    } catch (err) {
      done(err as Error)
    }
  }
}
