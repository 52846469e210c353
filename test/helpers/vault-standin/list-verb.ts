/**
 * Vault stand-in: lets the `LIST` verb through. Vault (Go) accepts `LIST`, but Node's HTTP parser
 * answers any method it does not know with 400 before a handler runs. This adapter sits between
 * the socket and the HTTP parser and rewrites a request line `LIST /p HTTP/1.1` to
 * `GET /p HTTP/1.1` plus the header `X-Standin-Verb: LIST`, which the stand-in turns back into LIST.
 *
 * It looks for request lines at the start of each chunk read and right after the blank line that
 * ends a previous request's headers: enough for the body-less LIST requests clients send (a JSON
 * body never starts with `LIST `).
 *
 * @module
 */
import { Duplex } from 'node:stream'
import type { Socket } from 'node:net'

/** The header that carries the original verb to the stand-in's router. */
export const VERB_HEADER = 'x-standin-verb'

const LIST = Buffer.from('LIST ')
const HEAD_END = Buffer.from('\r\n\r\n')

/** rewriteListLines rewrites every LIST request line in `chunk`. */
export function rewriteListLines(chunk: Buffer): Buffer {
  const starts: number[] = []
  if (chunk.subarray(0, LIST.length).equals(LIST)) starts.push(0)
  for (let i = chunk.indexOf(HEAD_END); i !== -1; i = chunk.indexOf(HEAD_END, i + 1)) {
    const at = i + HEAD_END.length
    if (chunk.subarray(at, at + LIST.length).equals(LIST)) starts.push(at)
  }
  if (starts.length === 0) return chunk
  const parts: Buffer[] = []
  let from = 0
  for (const s of starts) {
    const eol = chunk.indexOf('\r\n', s)
    if (eol === -1) continue
    parts.push(chunk.subarray(from, s), Buffer.from('GET '), chunk.subarray(s + LIST.length, eol), Buffer.from(`\r\n${VERB_HEADER}: LIST`))
    from = eol
  }
  parts.push(chunk.subarray(from))
  return Buffer.concat(parts)
}

/** listVerbAdapter wraps a (TLS) socket so the HTTP server sees LIST requests as marked GETs. */
export function listVerbAdapter(socket: Socket): Duplex {
  const duplex = new Duplex({
    read() {
      socket.resume()
    },
    write(chunk: Buffer, _enc, cb) {
      socket.write(chunk, cb)
    },
    final(cb) {
      socket.end(cb)
    },
    destroy(err, cb) {
      socket.destroy(err ?? undefined)
      cb(err)
    },
  })
  socket.on('data', (chunk: Buffer) => {
    if (!duplex.push(rewriteListLines(chunk))) socket.pause()
  })
  socket.on('end', () => duplex.push(null))
  socket.on('close', () => duplex.destroy())
  socket.on('error', (err) => duplex.destroy(err))
  return duplex
}
