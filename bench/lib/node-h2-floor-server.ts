/**
 * The Node.js HTTP/2 floor: node:http2 with the same mutual TLS, answering every stream with the
 * same fixed response from the raw `stream` event (no compat objects, no routing, auth, crypto or
 * logging), with Keyhold's stream limit, on the same number of worker processes. What Keyhold
 * costs above this under MinIO's transport is its own work; what this costs above nginx is Node's
 * TLS and HTTP/2.
 *
 * With WORK `crypto` it answers what Keyhold's generate or decrypt computes instead (floor-crypto.ts).
 *
 * Run by node-floor.ts: node --import tsx node-h2-floor-server.ts PKI_DIR WORKERS BODY_FILE [WORK]
 */
import { readFileSync } from 'node:fs'
import { createSecureServer } from 'node:http2'
import { join } from 'node:path'
import { serveFloor } from './floor-cluster.js'
import { cryptoAnswer } from './floor-crypto.js'

const [dir, workers, bodyFile, work] = process.argv.slice(2) as [string, string, string, string | undefined]
serveFloor(Number(workers), () => {
  const body = readFileSync(bodyFile)
  const server = createSecureServer({
    cert: readFileSync(join(dir, 'server.crt')), key: readFileSync(join(dir, 'server.key')), ca: readFileSync(join(dir, 'ca.crt')),
    requestCert: true, rejectUnauthorized: true, settings: { maxConcurrentStreams: 128 },
  })
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = []
    if (work === 'crypto') stream.on('data', (chunk: Buffer) => chunks.push(chunk))
    else stream.resume()
    stream.once('end', () => {
      const answer = work === 'crypto' ? cryptoAnswer(headers[':path'] ?? '', Buffer.concat(chunks)) : { status: 200, body }
      stream.respond({ ':status': answer.status, 'content-type': 'application/json', 'content-length': answer.body.length })
      stream.end(answer.body)
    })
  })
  return server
})
