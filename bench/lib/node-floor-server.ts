/**
 * The Node.js floor: node:https with the same mutual TLS, answering the same fixed response with
 * no routing, auth, crypto or logging, on the same number of worker processes. What Keyhold
 * costs above this is its own work; what this costs above nginx is Node's HTTP and TLS stack.
 *
 * With WORK `crypto` it answers what Keyhold's generate or decrypt computes instead (floor-crypto.ts).
 *
 * Run by node-floor.ts: node --import tsx node-floor-server.ts PKI_DIR WORKERS BODY_FILE [WORK]
 */
import { readFileSync } from 'node:fs'
import { createServer } from 'node:https'
import { join } from 'node:path'
import { serveFloor } from './floor-cluster.js'
import { cryptoAnswer } from './floor-crypto.js'

const [dir, workers, bodyFile, work] = process.argv.slice(2) as [string, string, string, string | undefined]
serveFloor(Number(workers), () => {
  const body = readFileSync(bodyFile)
  return createServer(
    { cert: readFileSync(join(dir, 'server.crt')), key: readFileSync(join(dir, 'server.key')), ca: readFileSync(join(dir, 'ca.crt')), requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      const chunks: Buffer[] = []
      if (work === 'crypto') req.on('data', (chunk: Buffer) => chunks.push(chunk))
      else req.resume()
      req.once('end', () => {
        const answer = work === 'crypto' ? cryptoAnswer(req.url ?? '', Buffer.concat(chunks)) : { status: 200, body }
        res.writeHead(answer.status, { 'Content-Type': 'application/json', 'Content-Length': answer.body.length })
        res.end(answer.body)
      })
    },
  )
})
