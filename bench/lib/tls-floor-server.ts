/**
 * The TLS floor: node:tls with the same mutual TLS and no HTTP stack. It frames requests by their
 * Content-Length only (what the load generator sends) and writes one pre-built response per request,
 * on the same number of worker processes. It is not an HTTP server anyone should deploy; it measures
 * what Node's TLS costs per request, so that the node floor's distance to it is Node's HTTP layer.
 *
 * Run by node-floor.ts: node --import tsx tls-floor-server.ts PKI_DIR WORKERS BODY_FILE
 */
import { readFileSync } from 'node:fs'
import { createServer } from 'node:tls'
import { join } from 'node:path'
import { serveFloor } from './floor-cluster.js'

const [dir, workers, bodyFile] = process.argv.slice(2) as [string, string, string]
serveFloor(Number(workers), () => {
  const body = readFileSync(bodyFile)
  const response = (): Buffer =>
    Buffer.concat([Buffer.from(`HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nDate: ${new Date().toUTCString()}\r\n\r\n`, 'latin1'), body])
  let cached = response()
  setInterval(() => (cached = response()), 1000).unref()
  return createServer(
    { cert: readFileSync(join(dir, 'server.crt')), key: readFileSync(join(dir, 'server.key')), ca: readFileSync(join(dir, 'ca.crt')), requestCert: true, rejectUnauthorized: true },
    (socket) => {
      let pending = ''
      socket.on('data', (chunk: Buffer) => {
        pending += chunk.toString('latin1')
        // Answer every complete request in what has arrived (bounded by the bytes received).
        for (;;) {
          const end = pending.indexOf('\r\n\r\n')
          if (end < 0) return
          const length = /\r\ncontent-length: *(\d+)/i.exec(pending.slice(0, end))
          const total = end + 4 + (length ? Number(length[1]) : 0)
          if (pending.length < total) return
          pending = pending.slice(total)
          socket.write(cached)
        }
      })
      socket.on('error', () => socket.destroy())
    },
  )
})
