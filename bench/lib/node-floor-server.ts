/**
 * The Node.js floor: node:https with the same mutual TLS, answering the same fixed response with
 * no routing, auth, crypto or logging, on the same number of worker processes. What Keyhold
 * costs above this is its own work; what this costs above nginx is Node's HTTP and TLS stack.
 *
 * Run by node-floor.ts: node --import tsx node-floor-server.ts PKI_DIR WORKERS BODY_FILE
 */
import { readFileSync } from 'node:fs'
import { createServer } from 'node:https'
import { join } from 'node:path'
import { serveFloor } from './floor-cluster.js'

const [dir, workers, bodyFile] = process.argv.slice(2) as [string, string, string]
serveFloor(Number(workers), () => {
  const body = readFileSync(bodyFile)
  return createServer(
    { cert: readFileSync(join(dir, 'server.crt')), key: readFileSync(join(dir, 'server.key')), ca: readFileSync(join(dir, 'ca.crt')), requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      req.resume()
      req.once('end', () => {
        res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length })
        res.end(body)
      })
    },
  )
})
