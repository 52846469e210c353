/**
 * The process layout the floor servers share with `keyhold server --workers N`: with more than one
 * worker, the primary forks them and reports the shared port once every worker listens; a single
 * process serves by itself. Either way the port goes to the parent over IPC.
 *
 * @module
 */
import cluster from 'node:cluster'
import type { Server } from 'node:net'

/** serveFloor runs `listen` in each worker (or in this process) on 127.0.0.1:0 and reports the port. Throws nothing. */
export function serveFloor(workers: number, listen: () => Server): void {
  if (cluster.isPrimary && workers > 1) {
    for (let i = 0; i < workers; i++) cluster.fork()
    let ready = 0
    cluster.on('message', (_w, port: number) => {
      if (++ready === workers) process.send?.(port)
    })
    return
  }
  const server = listen()
  // Workers share port 0 through the primary; a single process reports its own.
  server.listen(0, '127.0.0.1', () => process.send?.((server.address() as { port: number }).port))
}
