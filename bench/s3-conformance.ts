/**
 * Runs the two public S3 conformance suites against a real `keyhold-s3 server` process over TLS, wired to a
 * real `keyhold server` process (so the SSE-S3 and SSE-C tests run), when they are present on the machine:
 *   - ceph/s3-tests (a checkout; `--s3-tests DIR`, default $S3_TESTS_DIR or /work/tmp/s3-tests), with boto3
 *     and pytest; `-k EXPR` narrows it;
 *   - MinIO's minio-go functional tests (`--minio-go BIN`, default $MINIO_GO_FUNCTIONAL or
 *     /work/tmp/minio-functional), a binary built from Debian's golang-github-minio-minio-go-v7-dev:
 *       cd /usr/share/gocode/src/github.com/minio/minio-go/v7 &&
 *       GOPATH=/usr/share/gocode GO111MODULE=off go build -o /work/tmp/minio-functional functional_tests.go
 *
 *   node --import tsx bench/s3-conformance.ts [--suite s3-tests|minio-go|both] [-k EXPR] [--out DIR]
 *     [--include-marker M ...]   (runs tests of a deselected marker too, e.g. fails_on_dbstore)
 *
 * Neither suite is vendored into the repository. Prints a summary per suite and writes the full logs and the
 * lists of failures to --out (default a temporary directory). Every run is bounded in time.
 *
 * @module
 */
import { spawn } from 'node:child_process'
import { copyFileSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseArgs } from 'node:util'
import { adminCall } from '../src/cli/keyhold-s3/admin-client.js'
import { testPki } from '../test/helpers/pki.js'
import { call, startKeyhold } from './lib/keyhold.js'
import { freePort } from './lib/nginx.js'
import { S3_TESTS_UNSUPPORTED } from './s3-conformance-scope.js'

const { values } = parseArgs({
  options: {
    suite: { type: 'string', default: 'both' },
    k: { type: 'string', short: 'k' },
    out: { type: 'string' },
    's3-tests': { type: 'string', default: process.env.S3_TESTS_DIR ?? '/work/tmp/s3-tests' },
    'minio-go': { type: 'string', default: process.env.MINIO_GO_FUNCTIONAL ?? '/work/tmp/minio-functional' },
    'timeout-min': { type: 'string', default: '40' },
    'include-marker': { type: 'string', multiple: true, default: [] },
  },
})
const OUT = values.out ?? mkdtempSync(join(tmpdir(), 's3-conformance-'))
mkdirSync(OUT, { recursive: true })
const TIMEOUT_MS = Number(values['timeout-min']) * 60_000
const ROOT = { user: 'conformanceadmin', password: 'conformance-secret-key-1' }
const ALT = { user: 'conformancealt', password: 'conformance-alt-secret-1' }

const pki = await testPki()
const kms = await startKeyhold(pki, 1, ['/v1/key/create/*', '/v1/key/generate/*', '/v1/key/decrypt/*', '/v1/key/describe/*', '/v1/key/list/*', '/v1/status'])
const certsDir = mkdtempSync(join(tmpdir(), 's3-conformance-certs-'))
copyFileSync(pki.server.certFile, join(certsDir, 'public.crt'))
copyFileSync(pki.server.keyFile, join(certsDir, 'private.key'))
mkdirSync(join(certsDir, 'CAs'))
copyFileSync(pki.ca.certFile, join(certsDir, 'CAs', 'ca.crt'))
const port = await freePort()
const url = `https://localhost:${port}`
const s3 = spawn(process.execPath, [new URL('../bin/keyhold-s3.js', import.meta.url).pathname, 'server', mkdtempSync(join(tmpdir(), 's3-conformance-data-')),
  '--address', `127.0.0.1:${port}`, '--certs-dir', certsDir], {
  env: {
    ...process.env, KEYHOLD_FROM_SOURCE: '1', MINIO_ROOT_USER: ROOT.user, MINIO_ROOT_PASSWORD: ROOT.password,
    MINIO_KMS_KES_ENDPOINT: `https://127.0.0.1:${kms.port}`, MINIO_KMS_KES_KEY_NAME: 'conformance-default',
    MINIO_KMS_KES_CERT_FILE: pki.clients.app.certFile, MINIO_KMS_KES_KEY_FILE: pki.clients.app.keyFile,
  },
  stdio: ['ignore', 'ignore', 'pipe'],
})
let serverLog = ''
s3.stderr!.on('data', (c: Buffer) => (serverLog += c.toString()))
process.once('exit', () => s3.kill('SIGKILL'))
// Stopped from outside, take both servers along rather than leave them behind.
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    s3.kill('SIGKILL')
    void kms.stop().finally(() => process.exit(1))
  })
}

const session = { alias: { url, accessKey: ROOT.user, secretKey: ROOT.password, api: 's3v4' as const, path: 'auto' as const }, insecure: true }
process.env.SSL_CERT_FILE = pki.ca.certFile
for (let i = 0; ; i++) {
  const up = await adminCall(session, 'probe', 'GET', '/list-users', { decrypt: true }).then(() => true, () => false)
  if (up) break
  if (i > 300 || s3.exitCode !== null) throw new Error(`keyhold-s3 did not start\n${serverLog}`)
  await new Promise((r) => setTimeout(r, 200))
}
// s3-tests' named SSE-KMS keys (kms_keyid, kms_keyid2 below): made in the KMS first, as a MinIO operator would.
const KMS_KEYS = ['testkey-1', 'testkey-2']
for (const name of KMS_KEYS) {
  const made = await call(kms.port, pki, 'POST', `/v1/key/create/${name}`)
  if (made.status !== 200) throw new Error(`creating KMS key ${name}: ${made.status} ${made.body}`)
}
// s3-tests' "alt" user: a second identity with readwrite, for the cross-user tests.
await adminCall(session, 'add alt', 'PUT', '/add-user', { query: [['accessKey', ALT.user]], enc: { secretKey: ALT.password, status: 'enabled' } })
await adminCall(session, 'attach alt', 'POST', '/idp/builtin/policy/attach', { enc: { policies: ['readwrite'], user: ALT.user }, decrypt: true })

interface Outcome { suite: string; passed: number; failed: number; skipped: number; failures: string[] }

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, cwd: string, log: string): Promise<string> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    // Written as it comes, so a long run can be watched and a timed-out one still counted.
    const file = createWriteStream(join(OUT, log))
    const take = (c: Buffer): void => {
      out += c.toString()
      file.write(c)
    }
    p.stdout!.on('data', take)
    p.stderr!.on('data', take)
    const timer = setTimeout(() => p.kill('SIGKILL'), TIMEOUT_MS)
    p.on('close', () => {
      clearTimeout(timer)
      file.end()
      resolve(out)
    })
  })
}

async function runS3Tests(dir: string): Promise<Outcome> {
  const conf = join(OUT, 's3tests.conf')
  const user = (name: string, u: { user: string; password: string }, id: string): string =>
    `[s3 ${name}]\ndisplay_name = ${u.user}\nuser_id = ${id}\nemail = ${u.user}@example.com\naccess_key = ${u.user}\nsecret_key = ${u.password}\n`
  writeFileSync(conf, `[DEFAULT]\nhost = localhost\nport = ${port}\nis_secure = True\n` +
    // s3-tests hands botocore verify=True, which ignores AWS_CA_BUNDLE: TLS runs, unverified (loopback only).
    `ssl_verify = False\n\n` +
    `[fixtures]\nbucket prefix = conformance-{random}-\n\n` +
    user('main', ROOT, ROOT.user) + `kms_keyid = ${KMS_KEYS[0]}\nkms_keyid2 = ${KMS_KEYS[1]}\n\n` + user('alt', ALT, ALT.user) + '\n' + user('tenant', ALT, ALT.user) + 'tenant = testx\n\n' +
    // The IAM/STS sections must exist for the module to load; their tests are deselected (no AWS IAM API here).
    ['iam', 'iam root', 'iam alt root'].map((s) => `[${s}]\naccess_key = ${ALT.user}\nsecret_key = ${ALT.password}\ndisplay_name = ${ALT.user}\nuser_id = ${ALT.user}\nemail = ${ALT.user}@example.com\n`).join('\n'))
  const included = new Set<string>(values['include-marker'])
  const markers = S3_TESTS_UNSUPPORTED.markers.filter((m) => !included.has(m)).map((m) => `not ${m}`).join(' and ')
  const args = ['-m', 'pytest', '-v', '-rfE', '-p', 'no:cacheprovider', '--timeout=60', 's3tests/functional/test_s3.py', '-m', markers]
  if (values.k !== undefined) args.push('-k', values.k)
  const hasTimeout = await run('python3', ['-c', 'import pytest_timeout'], {}, dir, 'probe.log').then((o) => !o.includes('Error'))
  if (!hasTimeout) args.splice(args.indexOf('--timeout=60'), 1)
  const extra = existsSync('/work/tmp/pyextra') ? '/work/tmp/pyextra' : ''
  const out = await run('python3', args, {
    S3TEST_CONF: conf, REQUESTS_CA_BUNDLE: pki.ca.certFile, AWS_CA_BUNDLE: pki.ca.certFile,
    // One attempt: botocore's retries of 5xx (NotImplemented included) with back-off would only slow the run.
    AWS_MAX_ATTEMPTS: '1', AWS_RETRY_MODE: 'standard',
    PYTHONPATH: [extra, process.env.PYTHONPATH ?? ''].filter((s) => s !== '').join(':'),
  }, dir, 's3-tests.log')
  // Counted from the per-test lines of -v, so a run cut short by the time box still counts what it ran.
  const results = [...out.matchAll(/^s3tests\S+::(\S+) (PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)/gm)]
  const n = (status: string): number => results.filter((m) => m[2] === status).length
  const failures = results.filter((m) => m[2] === 'FAILED' || m[2] === 'ERROR').map((m) => m[1]!)
  return { suite: 's3-tests', passed: n('PASSED'), failed: n('FAILED') + n('ERROR'), skipped: n('SKIPPED'), failures }
}

async function runMinioGo(bin: string): Promise<Outcome> {
  const out = await run(bin, [], {
    SERVER_ENDPOINT: `localhost:${port}`, ACCESS_KEY: ROOT.user, SECRET_KEY: ROOT.password, ENABLE_HTTPS: '1', ENABLE_KMS: '1',
    MINT_MODE: 'full', RUN_ON_FAIL: '1', SSL_CERT_FILE: pki.ca.certFile,
  }, OUT, 'minio-go.log')
  const o: Outcome = { suite: 'minio-go', passed: 0, failed: 0, skipped: 0, failures: [] }
  for (const line of out.split('\n')) {
    if (!line.startsWith('{')) continue
    try {
      const e = JSON.parse(line) as { name?: string; function?: string; status?: string }
      if (e.status === 'PASS') o.passed++
      else if (e.status === 'FAIL') {
        o.failed++
        o.failures.push(`${e.function ?? e.name ?? '?'}`)
      } else if (e.status === 'NA') o.skipped++
    } catch { /* a log line that is not a result */ }
  }
  return o
}

const outcomes: Outcome[] = []
try {
  if (values.suite !== 'minio-go' && existsSync(values['s3-tests'])) outcomes.push(await runS3Tests(values['s3-tests']))
  if (values.suite !== 's3-tests' && existsSync(values['minio-go'])) outcomes.push(await runMinioGo(values['minio-go']))
} finally {
  s3.kill('SIGTERM')
  await kms.stop()
  writeFileSync(join(OUT, 'server.log'), serverLog)
}
for (const o of outcomes) {
  writeFileSync(join(OUT, `${o.suite}.failures`), o.failures.join('\n') + '\n')
  const rate = o.passed + o.failed === 0 ? 0 : (100 * o.passed) / (o.passed + o.failed)
  process.stdout.write(`${o.suite}: ${o.passed} passed, ${o.failed} failed, ${o.skipped} skipped/deselected (${rate.toFixed(1)}% of run)\n`)
}
process.stdout.write(`logs in ${OUT}\n`)
if (outcomes.length === 0) process.stdout.write(`no suite found (looked at ${values['s3-tests']} and ${values['minio-go']})\n`)
process.exit(0)
