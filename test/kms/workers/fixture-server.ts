/**
 * A stand-in server for the cluster tests: the real primary and worker code around a tiny
 * express app with the real observability (audit log, metrics, log streams), so the cluster
 * plumbing is tested on its own. Run: node --import tsx fixture-server.ts WORKERS AUDIT_FILE
 * with KH_CERT, KH_KEY, KH_CA naming PEM files.
 */
import cluster from 'node:cluster'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:https'
import express from 'express'
import { AuditLog } from '../../../src/kms/observability/audit-log.js'
import { ErrorLogOutput } from '../../../src/kms/observability/error-stream.js'
import { streamLog } from '../../../src/kms/observability/log-hub.js'
import { KmsMetrics } from '../../../src/kms/observability/metrics.js'
import { observe } from '../../../src/kms/observability/observe.js'
import { runWorker, startPrimary } from '../../../src/kms/workers/index.js'

const [workers, auditFile] = process.argv.slice(2)

if (cluster.isPrimary) {
  const primary = await startPrimary({ workers: Number(workers), audit: { kind: 'file', path: auditFile! }, handleSignals: true, restartDelayMs: 50 })
  primary.ready.then((port) => process.stdout.write(`READY ${port}\n`), () => undefined)
  await primary.closed
  process.stdout.write('CLOSED\n')
} else {
  await runWorker(async ({ hooks: link }) => {
    // Wired as createKmsObservability wires a worker: the primary writes the audit file.
    const metrics = new KmsMetrics()
    const audit = new AuditLog({ writer: link.auditWriter(), onEvent: () => metrics.auditEvent() })
    const errors = new ErrorLogOutput({ write: () => true })
    link.registerMetrics(metrics)
    link.registerHub('audit', audit.hub)
    link.registerHub('error', errors.hub)
    let reloads = 0
    process.on('SIGHUP', () => reloads++)
    const app = express()
    app.use(observe(metrics, audit, { metrics: true, audit: true }))
    app.get('/pid', (_req, res) => void res.send(String(process.pid)))
    app.get('/reloads', (_req, res) => void res.send(String(reloads)))
    app.get('/crash', () => process.exit(3))
    app.get('/err', (_req, res) => {
      errors.write(`{"level":50,"msg":"boom from ${process.pid}"}\n`)
      res.send('ok')
    })
    app.get('/v1/metrics', async (_req, res) => void res.type('text/plain').send(await link.renderMetrics()))
    app.get('/v1/log/audit', (req, res) => void streamLog(audit.hub, req, res))
    app.get('/v1/log/error', (req, res) => void streamLog(errors.hub, req, res))
    const server = createServer({ cert: readFileSync(process.env.KH_CERT!), key: readFileSync(process.env.KH_KEY!), ca: readFileSync(process.env.KH_CA!), requestCert: true }, app)
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const port = (server.address() as { port: number }).port
    return {
      port,
      close: async () => {
        server.closeAllConnections()
        await new Promise<void>((resolve) => server.close(() => resolve()))
        await audit.close()
      },
    }
  })
}
