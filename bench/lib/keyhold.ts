/**
 * Starts `keyhold server` for a benchmark: a temporary fs keystore and config, the real
 * executable (`bin/keyhold.js`), N workers, audit to a file (the production setting we want to
 * measure), and one application identity allowed only what the benchmark calls.
 *
 * @module
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs'
import { request } from 'node:https'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TestPki } from '../../test/helpers/pki.js'
import { freePort } from './nginx.js'
import { childrenOf, cpuMs, rssMiB, treeCpuMs } from './proc.js'

/** A running server. */
export interface KeyholdServer {
  port: number
  pid: number
  dir: string
  /** Resident memory of each worker (or of the single process), in MiB. */
  rssMiB(): number[]
  /** CPU time used so far by the server's processes, in ms. */
  cpuMs(): number
  /** CPU time used so far by the primary alone (with workers: audit chain, IPC), in ms. */
  primaryCpuMs(): number
  stop(): Promise<void>
}

/** call makes one admin request (setup only). Throws on a network error. */
export function call(port: number, pki: TestPki, method: string, path: string, body = ''): Promise<{ status: number; body: string }> {
  const c = pki.clients.admin
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, ca: pki.ca.certPem, cert: c.certPem, key: c.keyPem, servername: 'localhost', agent: false }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (d: string) => (text += d))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }))
    })
    req.on('error', reject)
    req.end(body)
  })
}

const root = new URL('../../', import.meta.url).pathname
/** Where --compiled puts the JavaScript build: gitignored, and not dist/ (which bin/keyhold.js would pick up). */
const COMPILED = join(root, 'test/.tmp/bench-dist')

/** newestSource is the latest modification time of the TypeScript sources, so a stale build is rebuilt. */
function newestSource(): number {
  let newest = 0
  for (const top of ['src', 'backends']) {
    for (const f of readdirSync(join(root, top), { recursive: true, encoding: 'utf8' })) {
      if (f.endsWith('.ts')) newest = Math.max(newest, statSync(join(root, top, f)).mtimeMs)
    }
  }
  return newest
}

/** tsc builds `project`'s sources into `outDir`. Throws when tsc fails without emitting `entry`. */
function build(project: string, outDir: string, entry: string): void {
  try {
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', project, '--outDir', outDir, '--declaration', 'false'], { stdio: 'inherit' })
  } catch (err) {
    // tsc still emits on type errors (someone else's work in progress): go on if it did.
    if (!existsSync(entry)) throw err
    process.stderr.write('bench: tsc reported errors; running the JavaScript it emitted anyway\n')
  }
}

/**
 * compiledEntry builds the sources once into {@link COMPILED} and returns the entry point of the
 * `keyhold` (default) or `keyhold-s3` command, so the server runs as deployed (no TypeScript loader
 * in its memory). Throws when tsc fails.
 */
export function compiledEntry(command: 'keyhold' | 'keyhold-s3' = 'keyhold'): string {
  const entry = join(COMPILED, `src/cli/${command}/main.js`)
  if (!existsSync(entry) || newestSource() > statSync(entry).mtimeMs) build(join(root, 'tsconfig.build.json'), COMPILED, entry)
  return entry
}

/**
 * baselineEntry builds the sources of git commit `rev` (src/, backends/ and the tsconfigs, from
 * `git archive`) under test/.tmp/bench-base-<sha> and returns its keyhold entry point, so a
 * benchmark can run "before" and "after" in the same invocation. Throws when git or tsc fails.
 */
export function baselineEntry(rev: string): string {
  const sha = execFileSync('git', ['-C', root, 'rev-parse', '--verify', `${rev}^{commit}`], { encoding: 'utf8' }).trim()
  const dir = join(root, 'test/.tmp', `bench-base-${sha.slice(0, 12)}`)
  // Revisions before the two-tree layout (issue 13) have their entry at src/cli/keyhold.ts.
  const entryOf = (): string => join(dir, existsSync(join(dir, 'src/cli/keyhold/main.ts')) ? 'dist/src/cli/keyhold/main.js' : 'dist/src/cli/keyhold.js')
  if (existsSync(join(dir, 'src'))) {
    const entry = entryOf()
    if (existsSync(entry)) return entry
  }
  mkdirSync(dir, { recursive: true })
  const tar = execFileSync('git', ['-C', root, 'archive', sha, 'src', 'backends', 'package.json', 'tsconfig.json', 'tsconfig.build.json'], { maxBuffer: 256 << 20 })
  execFileSync('tar', ['-x', '-C', dir], { input: tar })
  const entry = entryOf()
  build(join(dir, 'tsconfig.build.json'), join(dir, 'dist'), entry)
  return entry
}

/**
 * writeBenchConfig writes `<dir>/config.yml` for a benchmark server: the test PKI's server certificate
 * with mutual TLS, the admin client as admin, a policy allowing `allow` to the app client, the error log
 * at warn, audit to a hash-chained file and an fs keystore, both in `dir`. Returns the file's path.
 * Throws when the file cannot be written.
 */
export function writeBenchConfig(pki: TestPki, dir: string, address: string, allow: string[]): string {
  const file = join(dir, 'config.yml')
  writeFileSync(file, `
address: ${address}
admin:
  identity: ${pki.clients.admin.identity}
tls:
  key: ${pki.server.keyFile}
  cert: ${pki.server.certFile}
  ca: ${pki.ca.certFile}
policy:
  bench:
    allow: [${allow.map((a) => `"${a}"`).join(', ')}]
    identities: [${pki.clients.app.identity}]
log:
  error: warn
  audit: ${join(dir, 'audit.log')}
keystore:
  fs:
    path: ${join(dir, 'keys')}
`)
  return file
}

/**
 * startKeyhold starts the server and waits until it answers. `compiled` runs the JavaScript build
 * of the working tree; a string runs that entry point (see {@link baselineEntry}). Throws when it
 * does not start.
 */
export async function startKeyhold(pki: TestPki, workers: number, allow: string[], nodeFlags: string[] = [], compiled: boolean | string = false): Promise<KeyholdServer> {
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-bench-'))
  const port = await freePort()
  writeBenchConfig(pki, dir, `127.0.0.1:${port}`, allow)
  const bin = typeof compiled === 'string' ? compiled : compiled ? compiledEntry() : join(root, 'bin/keyhold.js')
  const child: ChildProcess = spawn(process.execPath, [...nodeFlags, bin, 'server', '--config', join(dir, 'config.yml'), '--workers', String(workers)], {
    env: { ...process.env, KEYHOLD_FROM_SOURCE: '1' },
    stdio: ['ignore', 'ignore', 'inherit'],
  })
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()))
  const deadline = Date.now() + 30_000
  for (;;) {
    if (child.exitCode !== null) throw new Error(`keyhold server exited with ${child.exitCode}`)
    const ok = await call(port, pki, 'GET', '/version').then((r) => r.status === 200, () => false)
    if (ok) break
    if (Date.now() > deadline) throw new Error('keyhold server did not start within 30s')
    await new Promise((r) => setTimeout(r, 200))
  }
  return {
    port,
    pid: child.pid!,
    dir,
    rssMiB: () => {
      const kids = childrenOf(child.pid!)
      return (kids.length > 0 ? kids : [child.pid!]).map(rssMiB)
    },
    cpuMs: () => treeCpuMs(child.pid!),
    primaryCpuMs: () => cpuMs(child.pid!),
    stop: async () => {
      child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      await exited
      clearTimeout(timer)
    },
  }
}
