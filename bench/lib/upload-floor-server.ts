/**
 * Upload floors for the S3 benchmark: how much CPU Node itself spends receiving a large body over TLS,
 * with nothing done to the bytes. `https` is node:https discarding the request body (what any Node S3
 * server pays before hashing or writing); `tls` is node:tls discarding a raw byte stream (Node's TLS
 * alone, no HTTP parser or IncomingMessage).
 *
 * Run by s3-floors.ts: node --import tsx upload-floor-server.ts https|tls CERT KEY
 * Reports its port on the IPC channel.
 */
import { readFileSync } from 'node:fs'
import { createServer as createHttps } from 'node:https'
import { createServer as createTls } from 'node:tls'

const [layer, certFile, keyFile] = process.argv.slice(2) as ['https' | 'tls', string, string]
const options = { cert: readFileSync(certFile), key: readFileSync(keyFile) }
const server =
  layer === 'https'
    ? createHttps(options, (req, res) => {
        let bytes = 0
        req.on('data', (c: Buffer) => (bytes += c.length))
        req.on('end', () => res.end(String(bytes)))
      })
    : createTls(options, (socket) => {
        socket.on('data', () => undefined)
        socket.on('end', () => socket.end())
        socket.on('error', () => socket.destroy())
      })
server.listen(0, '127.0.0.1', () => process.send?.((server.address() as { port: number }).port))
