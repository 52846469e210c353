/**
 * Runs the real `keyhold server` executable for a test: writes a config (fs keystore in a temp
 * dir, the test PKI, admin = the `admin` client), starts `node bin/keyhold.js server`, waits for
 * the banner and collects stdout and stderr. Stopped with SIGTERM by `stop()`.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestPki } from '../../helpers/pki.js'

export interface SpawnedServer {
  url: string
  dir: string
  child: ChildProcess
  stdout(): string
  stderr(): string
  /** SIGTERM, then the exit code. */
  stop(): Promise<number | null>
}

/**
 * spawnServer starts the server with `extra` YAML appended to the config; `keystore`, the YAML
 * under `keystore:` (indented by two), replaces the fs keystore. Throws if no banner within 30 s.
 */
export async function spawnServer(pki: TestPki, extra: string, args: string[] = [], keystore?: string): Promise<SpawnedServer> {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-spawn-'))
  writeFileSync(
    join(dir, 'config.yml'),
    `address: 127.0.0.1:0
admin:
  identity: ${pki.clients.admin.identity}
tls:
  key: ${pki.server.keyFile}
  cert: ${pki.server.certFile}
keystore:
${keystore ?? `  fs:\n    path: ${join(dir, 'keys')}`}
${extra}`,
  )
  const bin = join(import.meta.dirname, '../../../bin/keyhold.js')
  const child = spawn(process.execPath, [bin, 'server', '--config', join(dir, 'config.yml'), ...args], {
    env: { ...process.env, KEYHOLD_FROM_SOURCE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d))
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const deadline = Date.now() + 30_000
  let url: string | undefined
  while (!(url = /listening on (https:\/\/\S+)/.exec(out)?.[1])) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`keyhold server did not start:\n${out}\n${err}`)
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  return {
    url,
    dir,
    child,
    stdout: () => out,
    stderr: () => err,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      const code = await exited
      clearTimeout(timer)
      return code
    },
  }
}
