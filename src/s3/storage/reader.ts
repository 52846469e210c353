/**
 * Streams a byte range of an object's stored bytes, across its part blobs, as one readable. The blobs are
 * pinned while streaming so a concurrent overwrite or delete cannot unlink them underneath.
 *
 * @module
 */
import { Readable } from 'node:stream'
import type { BlobStore } from './blobs.js'
import type { PartRow } from './meta.js'

/**
 * blobRanges maps stored bytes [start, end] (inclusive) of the concatenated parts to the blobs holding them:
 * each blob with the byte range [from, to] (inclusive) to read of it, in order; empty parts are skipped.
 */
export function* blobRanges(parts: PartRow[], start: number, end: number): Generator<{ blob: string; from: number; to: number }> {
  let offset = 0
  for (const part of parts) {
    const partStart = offset
    const partEnd = offset + part.storedSize - 1
    offset += part.storedSize
    if (part.storedSize === 0 || partEnd < start) continue
    if (partStart > end) break
    yield { blob: part.blob, from: Math.max(start, partStart) - partStart, to: Math.min(end, partEnd) - partStart }
  }
}

/**
 * readRange streams stored bytes [start, end] (inclusive) of the concatenated parts, in chunks of whole
 * `unit`s of each part when given (see BlobStore.read). An empty range (end < start) yields nothing. Errors
 * (I/O) surface as stream errors.
 */
export function readRange(blobs: BlobStore, parts: PartRow[], start: number, end: number, unit?: number): Readable {
  const release = blobs.pin(parts.map((p) => p.blob))
  async function* chunks(): AsyncGenerator<Buffer> {
    try {
      for (const { blob, from, to } of blobRanges(parts, start, end)) {
        for await (const chunk of blobs.read(blob, from, to, unit)) yield chunk as Buffer
      }
    } finally {
      release()
    }
  }
  const stream = Readable.from(chunks(), { objectMode: false, highWaterMark: 1 << 20 })
  stream.on('close', release)
  return stream
}
