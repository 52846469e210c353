/**
 * A stand-in server for the key fan-out tests: the real primary and worker code around a tiny
 * HTTPS handler that lets a test announce a key change from a worker, see which keys a worker
 * was told to drop, and block a worker's event loop (a hung worker). Run:
 * node --import tsx fanout-fixture.ts WORKERS ACK_TIMEOUT_MS AUDIT_FILE, with KH_CERT, KH_KEY naming PEM files.
 */
import cluster from 'node:cluster'
import { readFileSync } from 'node:fs'
import { createServer } from 'node:https'
import { runWorker, startPrimary } from '../../../src/kms/workers/index.js'

const [workers, ackTimeoutMs, auditFile] = process.argv.slice(2)

if (cluster.isPrimary) {
  const primary = await startPrimary({
    workers: Number(workers), audit: { kind: 'file', path: auditFile! }, handleSignals: true, restartDelayMs: 50, keyAckTimeoutMs: Number(ackTimeoutMs),
  })
  primary.ready.then((port) => process.stdout.write(`READY ${port}\n`), () => undefined)
  await primary.closed
} else {
  await runWorker(async ({ peers }) => {
    const dropped: string[] = []
    peers.listen((name) => dropped.push(name))
    const server = createServer({ cert: readFileSync(process.env.KH_CERT!), key: readFileSync(process.env.KH_KEY!) }, (req, res) => {
      const [, verb, arg = ''] = (req.url ?? '').split('/')
      const reply = (body: object) => res.end(JSON.stringify({ pid: process.pid, ...body }))
      if (verb === 'announce') {
        const start = Date.now()
        void peers.announce(arg).then(() => reply({ ms: Date.now() - start }))
      } else if (verb === 'dropped') reply({ dropped })
      else if (verb === 'block') {
        const until = Date.now() + Number(arg)
        while (Date.now() < until); // a hung worker: no IPC, no requests
        reply({})
      } else reply({})
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    return {
      port: (server.address() as { port: number }).port,
      close: async () => {
        server.closeAllConnections()
        await new Promise<void>((resolve) => server.close(() => resolve()))
      },
    }
  })
}
