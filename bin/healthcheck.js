#!/usr/bin/env node
// The container health check (Dockerfile HEALTHCHECK): exits 0 when the server in this container answers.
//   node bin/healthcheck.js [kms|s3|auto] [URL]
// kms: GET /v1/ready on KEYHOLD_HEALTH_URL (default https://127.0.0.1:7373). 200 is healthy, 502/504 (keystore
//      unreachable) is not. Without `skip_auth` on /v1/ready the server finishes the TLS handshake and then
//      hangs up on a client without a certificate (or answers 400/403): it is alive, which is all this can
//      tell. For a readiness check, set `api: {/v1/ready: {skip_auth: true}}` in the config.
// s3:  GET /minio/health/live on KEYHOLD_HEALTH_URL (default https://127.0.0.1:9000, then http://). Until
//      keyhold-s3 serves that route, any HTTP answer below 500 (a 404 too) means the TLS listener is up.
// auto (the default) picks s3 when PID 1 is keyhold-s3, kms otherwise.
// The server certificate is not verified: the check talks to its own container over loopback.
import { readFileSync } from 'node:fs'
import { request as http } from 'node:http'
import { request as https } from 'node:https'

function mode(arg) {
  if (arg === 'kms' || arg === 's3') return arg
  try {
    return readFileSync('/proc/1/cmdline', 'utf8').includes('keyhold-s3') ? 's3' : 'kms'
  } catch {
    return 'kms'
  }
}

/** The status code of GET `url`, or 'hung up after the TLS handshake'; rejects when there was no handshake. */
function get(url) {
  return new Promise((resolve, reject) => {
    const request = url.startsWith('https:') ? https : http
    let handshake = false
    const req = request(url, { method: 'GET', rejectUnauthorized: false, timeout: 4000, agent: false }, (res) => {
      res.resume()
      resolve(res.statusCode ?? 0)
    })
    req.on('socket', (socket) => socket.once('secureConnect', () => (handshake = true)))
    req.on('timeout', () => req.destroy(new Error('timed out')))
    req.on('error', (err) => (handshake && err.code === 'ECONNRESET' ? resolve(HUNG_UP) : reject(err)))
    req.end()
  })
}

const HUNG_UP = 'hung up after the TLS handshake (no client certificate)'

const which = mode(process.argv[2])
const base = process.argv[3] ?? process.env.KEYHOLD_HEALTH_URL ?? (which === 's3' ? 'https://127.0.0.1:9000' : 'https://127.0.0.1:7373')
const path = which === 's3' ? '/minio/health/live' : '/v1/ready'
let status
try {
  status = await get(base + path)
} catch (err) {
  // keyhold-s3 without certificates serves plain HTTP.
  if (which !== 's3' || !base.startsWith('https:')) {
    console.error(`unhealthy: ${base}${path}: ${err.message}`)
    process.exit(1)
  }
  try {
    status = await get(base.replace(/^https:/, 'http:') + path)
  } catch (err2) {
    console.error(`unhealthy: ${base}${path}: ${err2.message}`)
    process.exit(1)
  }
}
const healthy = which === 's3' ? typeof status === 'number' && status < 500 : [200, 400, 401, 403, HUNG_UP].includes(status)
console.log(`${healthy ? 'healthy' : 'unhealthy'}: ${path} ${typeof status === 'number' ? `answered ${status}` : status}`)
process.exit(healthy ? 0 : 1)
