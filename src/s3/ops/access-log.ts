/**
 * The access log: one JSON line per request with what an operator needs to trace it (time, API, bucket,
 * object, status, bytes, duration, access key, remote address, request id). Built from named fields only: the
 * query string (presigned signatures), headers (Authorization, SSE-C keys) and bodies never reach it.
 *
 * @module
 */
import { createWriteStream, type WriteStream } from 'node:fs'
import { safeJsonText } from '../../lib/terminal-text.js'

/** One access log entry. */
export interface AccessEntry {
  time: string
  api: string
  method: string
  bucket?: string
  object?: string
  status: number
  /** Body bytes received (the declared length of a body read whole), bytes sent with headers. */
  rx: number
  tx: number
  durationMs: number
  /** Time to the response's first byte, when one was sent. */
  ttfbMs?: number
  accessKey?: string
  remoteAddress?: string
  requestId?: string
}

/**
 * accessLogLine renders an entry as one JSON line (newline included), with no raw bidi, C1 or invisible
 * character: the object key is the client's choice, and the line may be read on a terminal. Throws nothing.
 */
export function accessLogLine(e: AccessEntry): string {
  return `${safeJsonText(JSON.stringify(e))}\n`
}

/** An open access log sink. */
export interface AccessLogSink {
  write(line: string): void
  close(): Promise<void>
}

/**
 * openAccessLog opens KEYHOLD_S3_ACCESS_LOG: `stdout`, or a file path (appended, created 0600); undefined for
 * unset, '' or `off`. Throws Error when the file cannot be opened (start-up then stops with its message).
 */
export async function openAccessLog(spec: string | undefined): Promise<AccessLogSink | undefined> {
  const text = (spec ?? '').trim()
  if (text === '' || text === 'off') return undefined
  if (text === 'stdout') return { write: (l) => void process.stdout.write(l), close: async () => undefined }
  const stream: WriteStream = createWriteStream(text, { flags: 'a', mode: 0o600 })
  await new Promise<void>((resolve, reject) => {
    stream.once('open', () => resolve())
    stream.once('error', (err) => reject(new Error(`cannot open the access log '${text}': ${err.message}`)))
  })
  stream.on('error', () => undefined)
  return {
    write: (l) => void stream.write(l),
    close: () => new Promise<void>((resolve) => stream.end(() => resolve())),
  }
}
