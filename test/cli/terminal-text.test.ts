/**
 * Terminal escape sequences from a server, or from any client via the audit log, must not reach
 * the operator's terminal raw: both CLIs show them as visible escapes (src/lib/terminal-text.ts).
 * `keyhold log` runs against a real server; status, key info, identity info, error messages and
 * `log --error` against a tiny fake KES server; `keyhold-s3 ls` against a tiny fake S3 server.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { runS3Cli } from '../../src/cli/keyhold-s3/index.js'
import { runCli } from '../../src/cli/keyhold/index.js'
import { terminalJson, terminalText } from '../../src/lib/terminal-text.js'
import { createKmsObservability, type KmsObservability } from '../../src/kms/observability/kms.js'
import { testPki, type TestPki } from '../helpers/pki.js'
import { send, startTestServer, type TestServer } from '../helpers/server.js'
import { cli } from './run.js'

/** What a hostile server sends: OSC (window title), CSI (clear screen), C1 CSI, bidi overrides, a forged line, DEL. */
const EVIL = '\x1b]0;PWNED\x07\x1b[2J\u009b31m\u202eevil\u2066\r\nforged line\x7f'
/** How the CLI shows it. */
const SHOWN = '\\x1b]0;PWNED\\x07\\x1b[2J\\x9b31m\\u202eevil\\u2066\\r\\nforged line\\x7f'

// Every character a terminal acts on but LF (which ends the CLI's own lines), and the bidi controls.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/

function expectSafe(output: string): void {
  expect(output).not.toMatch(RAW_CONTROL)
  expect(output).not.toMatch(/^forged line/m)
}

let pki: TestPki
beforeAll(async () => {
  pki = await testPki()
})

describe('terminalText', () => {
  it('escapes C0, DEL, C1, bidi controls and line separators, and keeps everything else', () => {
    expect(terminalText(EVIL)).toBe(SHOWN)
    expect(terminalText('\0\t\u061c\u200e\u200f\u2028\u2029\u202a\u2069')).toBe('\\x00\\t\\u061c\\u200e\\u200f\\u2028\\u2029\\u202a\\u2069')
    expect(terminalText('plain é ü 鍵 🔑 back\\slash \\x1b')).toBe('plain é ü 鍵 🔑 back\\slash \\x1b')
    expect(terminalText(terminalText(EVIL))).toBe(SHOWN)
    expect(terminalText(42 as unknown as string)).toBe('42')
  })

  // Characters that print as nothing: `admin\u200b` must not pass for `admin` (JSON: the same, as \u escapes).
  it.each([
    ['\\xad', '\u00ad'], ['\\u034f', '\u034f'], ['\\u115f', '\u115f'], ['\\u1160', '\u1160'], ['\\u180e', '\u180e'],
    ['\\u200b', '\u200b'], ['\\u200c', '\u200c'], ['\\u200d', '\u200d'], ['\\u2060', '\u2060'], ['\\u2061', '\u2061'],
    ['\\u2062', '\u2062'], ['\\u2063', '\u2063'], ['\\u2064', '\u2064'], ['\\u3164', '\u3164'], ['\\ufeff', '\ufeff'],
    ['\\uffa0', '\uffa0'], ['\\u{e0000}', '\u{e0000}'], ['\\u{e0001}', '\u{e0001}'], ['\\u{e0041}', '\u{e0041}'], ['\\u{e007f}', '\u{e007f}'],
  ])('escapes the invisible character shown as %s', (shown, c) => {
    expect(terminalText(`admin${c}`)).toBe(`admin${shown}`)
    expect(terminalText(terminalText(`admin${c}`))).toBe(`admin${shown}`)
    const json = terminalJson({ name: `admin${c}` })
    expect(json.includes(c)).toBe(false)
    expect(json).toMatch(/^\{"name":"admin(\\u[0-9a-f]{4})+"\}$/)
    expect(JSON.parse(json)).toEqual({ name: `admin${c}` })
  })

  it('keeps the letters and marks of every script, and the neighbours of the invisible characters', () => {
    const names = 'Ελληνικά кириллица العربية עברית हिन्दी ไทย 日本語 ﾊﾝｶｸ 한국어 \u1100\u1161 ᠮᠣᠩᠭᠣᠯ e\u0301 \u200a \u{e0100} 🔑'
    expect(terminalText(names)).toBe(names)
    expect(JSON.parse(terminalJson(names))).toBe(names)
    expect(terminalJson(names)).toBe(JSON.stringify(names))
  })

  it('terminalJson is JSON.stringify with C1 and bidi controls escaped too, and parses to the same value', () => {
    const value = { name: EVIL, n: 1 }
    const json = terminalJson(value)
    expect(json).not.toMatch(RAW_CONTROL)
    expect(JSON.parse(json)).toEqual(value)
    // Plain JSON.stringify leaves C1 and bidi controls raw: the reason for terminalJson.
    expect(JSON.stringify(value)).toMatch(RAW_CONTROL)
  })
})

describe('keyhold log against a real server', () => {
  let server: TestServer
  let observability: KmsObservability
  let admin: NodeJS.ProcessEnv

  beforeAll(async () => {
    observability = await createKmsObservability({ log: { error: 'silent', audit: 'silent' } }, { audit: { kind: 'off' }, errorSink: { write: () => {} } })
    server = await startTestServer({}, observability.serverOptions())
    admin = { KES_SERVER: server.url, KES_CAPATH: pki.ca.certFile, KES_CLIENT_CERT: pki.clients.admin.certFile, KES_CLIENT_KEY: pki.clients.admin.keyFile, NO_COLOR: '1' }
  })
  afterAll(() => observability?.close())

  it('shows the escape sequences a client without any policy puts into the audited path', async () => {
    let stdout = ''
    const abort = new AbortController()
    const following = runCli(['log', '--audit'], { stdout: { write: (s: string) => (stdout += s), isTTY: true }, stderr: { write: () => true }, env: admin, signal: abort.signal })
    // Any client may do this: the stranger has no policy, gets 403, and its (decoded) path is audited.
    // Sent until the CLI shows it: then the CLI was surely following.
    const deadline = Date.now() + 20_000
    while (!stdout.includes('PWNED') && Date.now() < deadline) {
      const res = await send(server.url, pki, pki.clients.stranger, 'GET', '/v1/key/describe/x%1B%5D0;PWNED%07%1B%5B2J%C2%9B31m%E2%80%AEevil%0D%0Aforged%20line')
      expect(res.status).toBe(403)
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    abort.abort()
    expect(await following).toBe(0)
    expectSafe(stdout)
    expect(stdout).toContain('/v1/key/describe/x\\x1b]0;PWNED\\x07\\x1b[2J\\x9b31m\\u202eevil\\r\\nforged line')
  })
})

/** A fake KES server that answers every question with EVIL. */
function fakeKes(): Promise<{ url: string; close(): void }> {
  const server: Server = createServer({ cert: pki.server.certPem, key: pki.server.keyPem }, (req, res) => {
    const path = req.url ?? ''
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' })
      res.end(JSON.stringify(body))
    }
    if (path === '/v1/status') {
      return json(200, { version: EVIL, uptime: 5, os: 'linux', arch: EVIL, num_cpu: 2, num_cpu_used: 1, mem_heap_used: 1, mem_stack_used: 1, keystore_latency: 1 })
    }
    if (path.startsWith('/v1/key/describe/')) return json(200, { name: EVIL, algorithm: 'AES256', created_at: EVIL, created_by: EVIL })
    if (path === '/v1/identity/self/describe') return json(200, { identity: EVIL, admin: false, policy: EVIL, allow: { [EVIL]: {} } })
    if (path.startsWith('/v1/key/list/')) return json(200, { names: [EVIL] })
    if (path === '/v1/log/error') {
      res.writeHead(200, { 'Content-Type': 'application/x-ndjson' })
      res.end(JSON.stringify({ message: EVIL + '\n' }) + '\n')
      return
    }
    json(400, { message: EVIL })
  })
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({ url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() })
    })
  })
}

describe('keyhold against a fake server that answers with escape sequences', () => {
  let fake: { url: string; close(): void }
  let env: NodeJS.ProcessEnv

  beforeAll(async () => {
    fake = await fakeKes()
    env = { KES_SERVER: fake.url, KES_CAPATH: pki.ca.certFile, KES_CLIENT_CERT: pki.clients.admin.certFile, KES_CLIENT_KEY: pki.clients.admin.keyFile, NO_COLOR: '1' }
  })
  afterAll(() => fake?.close())

  it('escapes the server’s error message', async () => {
    const r = await cli(['key', 'create', 'k'], env, { tty: true })
    expect(r.code).toBe(1)
    expect(r.stderr).toBe(`Error: failed to create key "k": ${SHOWN}\n`)
    expectSafe(r.stderr)
  })

  it('escapes status fields, the short status line and key and identity info fields', async () => {
    for (const argv of [['status'], ['status', '--short'], ['key', 'info', 'k'], ['identity', 'info'], ['key', 'ls']]) {
      const r = await cli(argv, env, { tty: true })
      expect(r.code, `${argv.join(' ')}: ${r.stderr}`).toBe(0)
      expect(r.stdout, argv.join(' ')).toContain(SHOWN)
      expectSafe(r.stdout)
    }
  })

  it('escapes error log lines (`keyhold log --error`)', async () => {
    const r = await cli(['log', '--error'], env, { tty: true })
    expect(r.code).toBe(0)
    expect(r.stdout).toBe(`${SHOWN}\n`)
  })

  it('keeps --json output exact: it parses to the server’s value, with no raw control character', async () => {
    const r = await cli(['key', 'info', 'k', '--json'], env, { tty: true })
    expect(r.code).toBe(0)
    expectSafe(r.stdout)
    expect((JSON.parse(r.stdout) as { name: string }).name).toBe(EVIL)
  })
})

describe('keyhold-s3 against a fake S3 server that answers with escape sequences', () => {
  let server: Server
  const work = mkdtempSync(join(tmpdir(), 'keyhold-terminal-text-'))
  const env: NodeJS.ProcessEnv = { KEYHOLD_S3_CONFIG_DIR: join(work, 'cfg') }
  // XML cannot hold ESC or BEL even as a character reference, but the client decodes `&#27;` anyway: a server may send it.
  const xmlEvil = '&#27;]0;PWNED&#7;&#27;[2J\u009b31m\u202eevil\u2066&#13;&#10;forged line&#127;'

  beforeAll(async () => {
    server = createServer({ cert: pki.server.certPem, key: pki.server.keyPem }, (req, res) => {
      if ((req.url ?? '').startsWith('/bucket/')) {
        res.writeHead(200, { 'Content-Type': 'application/xml' })
        res.end(`<?xml version="1.0" encoding="UTF-8"?><ListBucketResult><Name>bucket</Name><Prefix></Prefix><IsTruncated>false</IsTruncated>` +
          `<Contents><Key>a${xmlEvil}</Key><LastModified>2024-01-02T03:04:05.000Z</LastModified><Size>3</Size></Contents>` +
          `<CommonPrefixes><Prefix>p${xmlEvil}/</Prefix></CommonPrefixes></ListBucketResult>`)
        return
      }
      // Not well-formed XML (raw ESC): a hostile server sends what it likes, and the client reads the <Message>.
      res.writeHead(403, { 'Content-Type': 'application/xml' })
      res.end(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>denied ${EVIL}</Message></Error>`)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`
    mkdirSync(join(work, 'cfg', 'certs', 'CAs'), { recursive: true })
    writeFileSync(join(work, 'cfg', 'certs', 'CAs', 'ca.crt'), pki.ca.certPem)
    writeFileSync(join(work, 'cfg', 'config.json'), JSON.stringify({
      version: '10', aliases: { fake: { url, accessKey: 'access', secretKey: 'secret-secret', api: 's3v4', path: 'auto' } },
    }), { mode: 0o600 })
  })
  afterAll(() => server?.close())

  async function run(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    let stdout = ''
    let stderr = ''
    const code = await runS3Cli(argv, { env, stdout: (s) => (stdout += s), stderr: (s) => (stderr += s) })
    return { code, stdout, stderr }
  }

  it('escapes object keys and prefixes in `ls`', async () => {
    const r = await run('ls', 'fake/bucket')
    expect(r.code, r.stderr).toBe(0)
    expectSafe(r.stdout)
    expect(r.stdout).toContain(` 0B p${SHOWN}/\n`)
    expect(r.stdout).toContain(`3B STANDARD a${SHOWN}\n`)
  })

  it('escapes the S3 server’s error message', async () => {
    const r = await run('ls', 'fake/other')
    expect(r.code).toBe(1)
    expectSafe(r.stderr)
    expect(r.stderr).toBe(`keyhold-s3: <ERROR> Unable to list \`fake/other\`. denied ${SHOWN}\n`)
  })
})
