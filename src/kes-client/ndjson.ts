/**
 * Reads a newline-delimited JSON stream (the KES log streams) one value at a time.
 *
 * @module
 */
import type { Readable } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'

/** Longest line accepted: a log event is small; anything larger means a broken stream. */
const MAX_LINE_BYTES = 1 << 20

/**
 * readNdjson yields each non-empty line of `stream` parsed as JSON, until the stream ends.
 * Throws SyntaxError for a line that is not JSON or longer than 1 MiB, and the stream's error when it breaks.
 */
export async function* readNdjson(stream: Readable): AsyncGenerator<unknown> {
  // A decoder keeps a multi-byte character that straddles two chunks whole.
  const decoder = new StringDecoder('utf8')
  let pending = ''
  for await (const chunk of stream) {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk as Buffer)
    let newline = pending.indexOf('\n')
    while (newline >= 0) {
      const line = pending.slice(0, newline).trim()
      pending = pending.slice(newline + 1)
      if (line !== '') yield JSON.parse(line)
      newline = pending.indexOf('\n')
    }
    if (pending.length > MAX_LINE_BYTES) throw new SyntaxError('ndjson: line too long')
  }
  pending += decoder.end()
  if (pending.trim() !== '') yield JSON.parse(pending)
}
