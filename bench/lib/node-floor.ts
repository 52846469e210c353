/**
 * Starts a Node.js floor server (node-floor-server.ts or tls-floor-server.ts) for a benchmark run.
 *
 * @module
 */
import { fork } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { treeCpuMs } from './proc.js'

/** A running floor server. */
export interface NodeFloor {
  port: number
  /** The floor's process (with workers, their primary). */
  pid: number
  cpuMs(): number
  stop(): Promise<void>
}

/** The floor servers, by the layer they stop at. */
const SERVERS = { https: './node-floor-server.ts', tls: './tls-floor-server.ts', h2: './node-h2-floor-server.ts' } as const

/**
 * startNodeFloor starts it with the PKI in `pkiDir`: the node:https floor, with `layer: 'tls'` the node:tls
 * floor (tls-floor-server.ts, no HTTP stack), with `layer: 'h2'` the node:http2 floor (node-h2-floor-server.ts).
 * With `work: 'crypto'` the https and h2 floors answer with Keyhold's generate and decrypt cryptography (floor-crypto.ts).
 * Throws when it does not report a port in 30 s.
 */
export async function startNodeFloor(pkiDir: string, workers: number, body: string, layer: keyof typeof SERVERS = 'https', work: 'fixed' | 'crypto' = 'fixed'): Promise<NodeFloor> {
  const bodyFile = join(mkdtempSync(join(tmpdir(), 'keyhold-floor-')), 'body.json')
  writeFileSync(bodyFile, body)
  const child = fork(new URL(SERVERS[layer], import.meta.url).pathname, [pkiDir, String(workers), bodyFile, ...(work === 'crypto' ? ['crypto'] : [])], { execArgv: ['--import', 'tsx'] })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('node floor server did not start')), 30_000)
    child.once('message', (p) => {
      clearTimeout(timer)
      resolve(p as number)
    })
  })
  return {
    port,
    pid: child.pid!,
    cpuMs: () => treeCpuMs(child.pid!),
    stop: async () => {
      child.kill('SIGKILL')
      await exited
      rmSync(dirname(bodyFile), { recursive: true, force: true })
    },
  }
}
