/**
 * `/v1/log/audit` as kms-go reads it: kes.AuditStream.Next decodes `response.time` into a Go
 * time.Duration (an integer), so a fraction ends the stream at the first event. The Go program
 * (kms-go-audit/main.go, stdlib only) uses kms-go's decoding struct verbatim over mutual TLS
 * against the real server. Skips with a message when Go is missing.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testPki, type TestPki } from '../../helpers/pki.js'
import { send } from '../../helpers/server.js'
import { spawnBin, type Spawned } from '../../helpers/spawn-process.js'

const source = join(import.meta.dirname, 'kms-go-audit')
const hasGo = spawnSync('go', ['version']).status === 0
if (!hasGo) console.warn('kms-go audit stream test skipped: install golang-go')

function buildReader(): string {
  const digest = createHash('sha256').update(readFileSync(join(source, 'main.go'))).digest('hex').slice(0, 16)
  const dir = join(tmpdir(), `keyhold-kms-go-audit-${digest}`)
  const bin = join(dir, 'kms-go-audit')
  if (existsSync(bin)) return bin
  mkdirSync(dir, { recursive: true })
  execFileSync('go', ['build', '-o', `${bin}.tmp`, '.'], {
    cwd: source, timeout: 240_000, stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, GO111MODULE: 'off', GOFLAGS: '', GOPROXY: 'off', GOCACHE: join(tmpdir(), 'keyhold-kms-go-gocache') },
  })
  renameSync(`${bin}.tmp`, bin)
  return bin
}

let pki: TestPki
let server: Spawned
let url: string
let bin: string
const dir = mkdtempSync(join(tmpdir(), 'keyhold-kms-go-'))

beforeAll(async () => {
  if (!hasGo) return
  bin = buildReader()
  pki = await testPki()
  writeFileSync(
    join(dir, 'config.yml'),
    `address: 127.0.0.1:0\nadmin:\n  identity: ${pki.clients.admin.identity}\ntls:\n  key: ${pki.server.keyFile}\n  cert: ${pki.server.certFile}\n` +
      `keystore:\n  fs:\n    path: ${join(dir, 'keys')}\nlog:\n  error: warn\n  audit: off\n`,
  )
  server = spawnBin('keyhold', ['server', '--config', join(dir, 'config.yml'), '--workers', '1'])
  url = (await server.waitFor(/listening on (https:\/\/\S+)/))[1]!
}, 300_000)
afterAll(async () => {
  await server?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe.skipIf(!hasGo)('/v1/log/audit read by kms-go', () => {
  it('decodes every event, response.time a whole number of milliseconds', async () => {
    const { admin } = pki.clients
    const reader = spawn(bin, [url, pki.ca.certFile, admin.certFile, admin.keyFile, '3'], { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    reader.stdout.setEncoding('utf8').on('data', (d: string) => (out += d))
    const exited = new Promise<number | null>((resolve) => reader.once('exit', resolve))
    for (let i = 0; i < 200 && !out.includes('"ready"'); i++) await new Promise((r) => setTimeout(r, 50))
    expect(out).toContain('{"ready":true}')

    expect((await send(url, pki, admin, 'POST', '/v1/key/create/k')).status).toBe(200)
    expect((await send(url, pki, admin, 'GET', '/v1/key/describe/k')).status).toBe(200)
    expect((await send(url, pki, admin, 'GET', '/v1/key/describe/missing')).status).toBe(404)
    expect(await exited).toBe(0)
    const events = out.trim().split('\n').slice(1).map((l) => JSON.parse(l) as { path: string; code: number; time: number })
    expect(events.map((e) => [e.path, e.code])).toEqual([
      ['/v1/key/create/k', 200],
      ['/v1/key/describe/k', 200],
      ['/v1/key/describe/missing', 404],
    ])
    for (const e of events) expect(Number.isInteger(e.time) && e.time >= 0).toBe(true)
  }, 60_000)
})
