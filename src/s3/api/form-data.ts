/**
 * A streaming reader of the multipart/form-data body of a browser form upload: the fields before `file` are
 * read into memory (bounded), the file's bytes stream on without being buffered, and whatever follows the
 * file is ignored (as S3 does). Never holds more than the field limit plus one chunk.
 *
 * @module
 */
import type { Readable } from 'node:stream'
import { PassThrough } from 'node:stream'
import { S3Error, S3_ERRORS, s3err } from './errors.js'

/** MAX_FORM_FIELDS_BYTES bounds the fields before the file (MinIO allows a few MiB; policies are small). */
export const MAX_FORM_FIELDS_BYTES = 1 << 20

/** The form's fields (names lower-cased, first occurrence wins) and the file part. */
export interface PostForm {
  fields: Map<string, string>
  fileName: string
  /** The file's bytes. Its part's own headers (Content-Type) are not kept: no policy names them. */
  file: Readable
}

/** malformedPost is MinIO's 400 MalformedPOSTRequest; throws nothing. */
function malformedPost(): S3Error {
  return s3err('MalformedPOSTRequest')
}

/** boundaryOf reads the boundary of a multipart/form-data Content-Type; throws S3Error MalformedPOSTRequest. */
export function boundaryOf(contentType: string | undefined): string {
  const m = /^multipart\/form-data\s*;(?:.*;)?\s*boundary=(?:"([^"]{1,70})"|([^\s;]{1,70}))/i.exec(contentType ?? '')
  if (m === null) throw malformedPost()
  return m[1] ?? m[2]!
}

function partHeaders(text: string): { name: string; filename: string | undefined } {
  let name: string | undefined
  let filename: string | undefined
  for (const line of text.split('\r\n')) {
    const colon = line.indexOf(':')
    if (colon < 0) continue
    const h = line.slice(0, colon).trim().toLowerCase()
    const v = line.slice(colon + 1).trim()
    if (h === 'content-disposition') {
      name = /\bname="([^"]*)"/i.exec(v)?.[1]
      filename = /\bfilename="([^"]*)"/i.exec(v)?.[1]
    }
  }
  if (name === undefined) throw malformedPost()
  return { name, filename }
}

/**
 * readPostForm reads fields up to the `file` part and returns the file as a stream. Throws (rejects) S3Error
 * MalformedPOSTRequest for a body that is not multipart/form-data or has no file, and EntityTooLarge "Your
 * POST request fields preceding the upload file were too large." past {@link MAX_FORM_FIELDS_BYTES}.
 */
export function readPostForm(body: Readable, boundary: string): Promise<PostForm> {
  const delimiter = Buffer.from(`\r\n--${boundary}`)
  return new Promise((resolve, reject) => {
    // The body starts with `--boundary`; prefixing CRLF makes every delimiter look alike.
    let buf: Buffer = Buffer.from("\r\n")
    const fields = new Map<string, string>()
    let file: PassThrough | undefined
    let done = false
    const fail = (err: unknown): void => {
      if (done) return
      done = true
      // Stop parsing, but leave the request to the error answer, which drains what is still arriving
      // (linger.ts): destroying it cut the connection before the client got any answer.
      body.off('data', onData)
      body.pause()
      // Before the file a rejection answers the client; after it, the file stream carries the error.
      if (file !== undefined) file.destroy(err as Error)
      else reject(err)
    }
    // Field bytes are gathered and parsed only once they add a quarter to what is held: a client trickling
    // one byte at a time must not make each byte copy the whole buffer (quadratic in the 1 MiB allowed).
    let pending: Buffer[] = []
    let pendingBytes = 0
    const onData = (chunk: Buffer): void => {
      if (file !== undefined) {
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk])
        return pumpFile()
      }
      pending.push(chunk)
      pendingBytes += chunk.length
      if (buf.length + pendingBytes > MAX_FORM_FIELDS_BYTES) return fail(S3_ERRORS.postFieldsTooLarge())
      if (pendingBytes < Math.max(16 * 1024, buf.length >> 2)) return
      flushFields()
    }
    const flushFields = (): void => {
      buf = Buffer.concat([buf, ...pending])
      pending = []
      pendingBytes = 0
      // Field parsing: each part is delimiter, CRLF, headers, CRLFCRLF, value, then the next delimiter.
      for (;;) {
        if (buf.length > MAX_FORM_FIELDS_BYTES) return fail(S3_ERRORS.postFieldsTooLarge())
        if (buf.length < delimiter.length + 2) return
        if (!buf.subarray(0, delimiter.length).equals(delimiter)) return fail(malformedPost())
        const after = buf.subarray(delimiter.length, delimiter.length + 2).toString('latin1')
        if (after === '--') return fail(malformedPost())
        const headEnd = buf.indexOf('\r\n\r\n', delimiter.length)
        if (headEnd < 0) return
        const head = partHeaders(buf.subarray(delimiter.length + 2, headEnd).toString('utf8'))
        const valueStart = headEnd + 4
        if (head.name.toLowerCase() === 'file') {
          file = new PassThrough({ highWaterMark: 1 << 20 })
          // The handler listens only once it has checked the policy: an error before then must not go
          // unhandled (and crash the process); the handler finds it in file.errored.
          file.on('error', () => undefined)
          buf = buf.subarray(valueStart)
          resolve({ fields, fileName: head.filename ?? '', file })
          file.on('drain', () => body.resume())
          return pumpFile()
        }
        const next = buf.indexOf(delimiter, valueStart)
        if (next < 0) return
        const name = head.name.toLowerCase()
        if (!fields.has(name)) fields.set(name, buf.subarray(valueStart, next).toString('utf8'))
        buf = buf.subarray(next)
      }
    }
    const pumpFile = (): void => {
      const at = buf.indexOf(delimiter)
      if (at >= 0) {
        if (at > 0) file!.write(buf.subarray(0, at))
        done = true
        body.off('data', onData)
        body.resume()
        file!.end()
        return
      }
      // Keep back what could be the start of the delimiter.
      const keep = delimiter.length - 1
      if (buf.length > keep) {
        const more = file!.write(buf.subarray(0, buf.length - keep))
        buf = Buffer.from(buf.subarray(buf.length - keep))
        if (!more) body.pause()
      }
    }
    body.on('data', onData)
    body.on('error', fail)
    body.on('end', () => {
      if (!done && file === undefined) flushFields()
      if (!done && file !== undefined) pumpFile()
      fail(malformedPost())
    })
  })
}
