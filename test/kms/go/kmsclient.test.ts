/**
 * Keyhold against Go's net/http with the transport of kms-go's kes.NewClientWithConfig (what
 * MinIO uses: HTTP/2 forced, two idle connections per host), on a real `keyhold server
 * --workers 2`: create, concurrent generate/decrypt, list and the audit stream all go over
 * HTTP/2 on one connection. The Go program (kmsclient/) uses only the standard library and is
 * built offline once per source version. Skips with a message when Go is missing.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testPki, type TestPki } from '../../helpers/pki.js'
import { spawnServer, type SpawnedServer } from '../observability/spawn-server.js'

const here = join(dirname(fileURLToPath(import.meta.url)), 'kmsclient')
const hasGo = spawnSync('go', ['version']).status === 0
if (!hasGo) console.warn('Go client test skipped: install golang-go (.ci/system-deps)')

/** Builds kmsclient once per source version; the binary is cached in the temp dir. Throws when go build fails. */
function buildClient(): string {
  const hash = createHash('sha256')
  for (const f of ['main.go', 'go.mod']) hash.update(readFileSync(join(here, f)))
  const dir = join(tmpdir(), `keyhold-kmsclient-${hash.digest('hex').slice(0, 16)}`)
  const bin = join(dir, 'kmsclient')
  if (existsSync(bin)) return bin
  mkdirSync(dir, { recursive: true })
  // Module mode with no requirements and no proxy: nothing can be downloaded.
  execFileSync('go', ['build', '-o', `${bin}.tmp`, '.'], {
    cwd: here, timeout: 240_000, stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, GOFLAGS: '', GOPROXY: 'off', GOTOOLCHAIN: 'local', GOPATH: join(dir, 'gopath'), GOCACHE: join(tmpdir(), 'keyhold-kmsclient-gocache') },
  })
  renameSync(`${bin}.tmp`, bin)
  return bin
}

interface Step { step: string; ok: boolean; error?: string; value?: Record<string, unknown> }

let pki: TestPki
let server: SpawnedServer
let bin: string

beforeAll(async () => {
  if (!hasGo) return
  bin = buildClient()
  pki = await testPki()
  const allow = ['/v1/key/create/go-*', '/v1/key/generate/go-*', '/v1/key/decrypt/go-*', '/v1/key/describe/go-*', '/v1/key/list/*', '/v1/log/audit']
  server = await spawnServer(pki, `policy:\n  minio:\n    allow: ${JSON.stringify(allow)}\n    identities: [${pki.clients.app.identity}]\n`, ['--workers', '2'])
}, 300_000)
afterAll(async () => {
  await server?.stop()
})

describe.skipIf(!hasGo)("Go's net/http with kms-go's transport against --workers 2", () => {
  it('runs create, generate/decrypt, list and the audit stream over HTTP/2 on one connection', async () => {
    const { app } = pki.clients
    const args = ['-url', server.url, '-cert', app.certFile, '-key', app.keyFile, '-cacert', pki.ca.certFile,
      '-key-name', 'go-minio', '-identity', app.identity, '-callers', '16', '-calls', '64']
    const { stdout } = await promisify(execFile)(bin, args, { timeout: 60_000, encoding: 'utf8' }).catch((err: { stdout?: string; message: string }) => {
      // The steps say what failed; keep them in the assertion message.
      return { stdout: err.stdout ?? err.message }
    })
    const steps = new Map(stdout.trim().split('\n').map((l) => JSON.parse(l) as Step).map((s) => [s.step, s]))
    for (const name of ['audit-open', 'self', 'create', 'generate-decrypt', 'list', 'audit-events', 'audit-cancel', 'after-cancel']) {
      expect(steps.get(name), `${name}: ${steps.get(name)?.error}`).toMatchObject({ ok: true })
    }
    expect(steps.get('audit-open')!.value).toEqual({ proto: 'HTTP/2.0', content_type: 'application/x-ndjson' })
    expect(steps.get('self')!.value).toMatchObject({ identity: app.identity })
    expect(steps.get('generate-decrypt')!.value).toEqual({ pairs: 64 })
    expect(steps.get('audit-events')!.value).toMatchObject({ events: 128, time_decodes_as_duration: true })
    const summary = steps.get('summary')!.value as { protos: Record<string, number>; tcp_dials: number }
    // Every call on HTTP/2, multiplexed: 16 concurrent callers, one TCP connection.
    expect(Object.keys(summary.protos)).toEqual(['HTTP/2.0'])
    expect(summary.protos['HTTP/2.0']).toBe(1 + 1 + 1 + 128 + 1 + 1)
    expect(summary.tcp_dials).toBe(1)
  }, 90_000)
})
