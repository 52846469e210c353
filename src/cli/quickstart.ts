/**
 * `npm start`: Keyhold and keyhold-s3 on embedded development defaults, wired together the way MinIO
 * talks to KES. Makes a dev PKI and a config under KEYHOLD_HOME (default `.keyhold/`), starts
 * `keyhold server` (filesystem keystore) and `keyhold-s3 server` (TLS, MINIO_KMS_KES_*, auto-encryption)
 * as child processes, prints how to use them, and stops both on Ctrl-C.
 *
 * @module
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { KesClient } from '../kes-client/index.js'
import { parseHostPort } from '../lib/host-port.js'
import { findPackage } from '../lib/package-root.js'
import { ensureDevCerts, type DevCerts } from '../pki/dev-certs.js'

const HELP = `Usage: npm start [-- OPTIONS]     (or: node bin/quickstart.js [OPTIONS])

Run Keyhold and keyhold-s3 on development defaults: dev certificates, a filesystem keystore and a
local data directory under KEYHOLD_HOME (default .keyhold/), every object encrypted through Keyhold.

Options:
  --kms-address HOST:PORT   Keyhold's address (default 127.0.0.1:7373; env KEYHOLD_ADDR)
  --s3-address HOST:PORT    keyhold-s3's address (default 127.0.0.1:9000; env KEYHOLD_S3_ADDR)
  -h, --help                Show this help.

Not for production: the dev CA key lives next to the certificates and the S3 root credentials are
the well-known minioadmin/minioadmin.
`

// The checkout: the children run from it and the config names its policy.yml (src/cli or dist/src/cli).
const ROOT = findPackage(import.meta.url)?.root ?? process.cwd()
const DEFAULT_KEY = 'keyhold-default-key'

interface Options {
  home: string
  kmsAddress: string
  s3Address: string
}

function parseArgs(argv: string[], env: NodeJS.ProcessEnv): Options | 'help' {
  const opts: Options = {
    home: resolve(env.KEYHOLD_HOME ?? '.keyhold'),
    kmsAddress: env.KEYHOLD_ADDR ?? '127.0.0.1:7373',
    s3Address: env.KEYHOLD_S3_ADDR ?? '127.0.0.1:9000',
  }
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '-h' || arg === '--help') return 'help'
    const value = argv[i + 1]
    if ((arg === '--kms-address' || arg === '--s3-address') && value !== undefined) {
      if (arg === '--kms-address') opts.kmsAddress = value
      else opts.s3Address = value
      i++
      continue
    }
    throw new Error(`unknown or incomplete option '${arg ?? ''}' (see --help)`)
  }
  return opts
}

/** The server config: every path absolute, so the file works from any directory. */
function kmsConfig(certs: DevCerts, opts: Options): string {
  return `# Written by 'npm start' (src/cli/quickstart.ts) on every start: Keyhold for local development.
address: ${opts.kmsAddress}
admin:
  identity: ${certs.adminIdentity}   # ${certs.adminCertFile}
tls:
  key: ${certs.kmsKeyFile}
  cert: ${certs.kmsCertFile}
policy_file: ${join(ROOT, 'policy.yml')}   # MINIO_KMS_IDENTITY is set to keyhold-s3's identity
cache:
  expiry:
    any: 5m
    unused: 30s
    offline: 1h
log:
  error: info
  audit: ${join(opts.home, 'audit.log')}
keys:
  - name: ${DEFAULT_KEY}
keystore:
  fs:
    path: ${join(opts.home, 'keys')}
`
}

/** splitAddress reads HOST:PORT ("[::1]:7373" too). Throws Error naming the option when it is not one. */
function splitAddress(address: string, option: string): { host: string; port: number } {
  const parsed = parseHostPort(address)
  // Quickstart prints the URLs to use, so the host must be named.
  if (parsed === undefined || parsed.host === '') throw new Error(`invalid ${option} '${address}': expected HOST:PORT, e.g. 127.0.0.1:7373`)
  return parsed
}

/** Whether `address` can be listened on now: undefined when free, else the reason (e.g. EADDRINUSE). */
function probe(address: { host: string; port: number }): Promise<string | undefined> {
  return new Promise((done) => {
    const server = createServer()
    server.once('error', (err: NodeJS.ErrnoException) => done(err.code ?? err.message))
    server.listen({ host: address.host, port: address.port, exclusive: true }, () => server.close(() => done(undefined)))
  })
}

/**
 * checkAddresses fails before anything is written or started when an address is taken, naming every
 * busy one and how to choose another. Throws Error with that text.
 */
async function checkAddresses(opts: Options): Promise<void> {
  const wanted = [
    { name: 'Keyhold', address: opts.kmsAddress, option: '--kms-address', env: 'KEYHOLD_ADDR', ...splitAddress(opts.kmsAddress, '--kms-address') },
    { name: 'keyhold-s3', address: opts.s3Address, option: '--s3-address', env: 'KEYHOLD_S3_ADDR', ...splitAddress(opts.s3Address, '--s3-address') },
  ]
  if (wanted[0]!.address === wanted[1]!.address) throw new Error(`Keyhold and keyhold-s3 cannot both listen on ${opts.kmsAddress}: give them different ports`)
  const problems: string[] = []
  for (const w of wanted) {
    const reason = await probe(w)
    if (reason === undefined) continue
    const why = reason === 'EADDRINUSE' ? 'is already in use (another npm start, or another server?)' : `cannot be listened on (${reason})`
    const next = `${w.host.includes(':') ? `[${w.host}]` : w.host}:${w.port + 1}`
    problems.push(`  ${w.name}'s address ${w.address} ${why}\n    pick another: npm start -- ${w.option} ${next}   (or ${w.env}=${next} npm start)`)
  }
  if (problems.length > 0) throw new Error(`cannot start:\n${problems.join('\n')}`)
}

/** writeIfChanged replaces `file` atomically, and only when its content changes. */
function writeIfChanged(file: string, content: string): void {
  if (existsSync(file) && readFileSync(file, 'utf8') === content) return
  writeFileSync(`${file}.tmp`, content, { mode: 0o600 })
  renameSync(`${file}.tmp`, file)
}

function start(name: string, args: string[], env: NodeJS.ProcessEnv): ChildProcess {
  const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] })
  const prefix = (chunk: Buffer) => chunk.toString().replace(/^(?=.)/gm, `[${name}] `)
  child.stdout?.on('data', (c: Buffer) => process.stdout.write(prefix(c)))
  child.stderr?.on('data', (c: Buffer) => process.stderr.write(prefix(c)))
  return child
}

async function waitForKms(certs: DevCerts, address: string, child: ChildProcess): Promise<void> {
  const client = await KesClient.create({
    endpoints: [`https://${address}`],
    certPem: readFileSync(certs.adminCertFile, 'utf8'),
    keyPem: readFileSync(certs.adminKeyFile, 'utf8'),
    ca: readFileSync(certs.caFile, 'utf8'),
    timeoutMs: 2000,
  })
  try {
    for (let i = 0; i < 150 && child.exitCode === null; i++) {
      try {
        await client.describeKey(DEFAULT_KEY)
        return
      } catch {
        await new Promise((r) => setTimeout(r, 200))
      }
    }
    throw new Error(`Keyhold did not become ready at https://${address}`)
  } finally {
    client.close()
  }
}

function banner(certs: DevCerts, opts: Options): string {
  const s3 = `https://${opts.s3Address}`
  return `
Keyhold      https://${opts.kmsAddress}   (keys in ${join(opts.home, 'keys')}, audit log ${join(opts.home, 'audit.log')})
keyhold-s3   ${s3}   (data in ${join(opts.home, 'data')}, every object encrypted with '${DEFAULT_KEY}')

Try it (in another shell, in ${ROOT}):
  export AWS_ACCESS_KEY_ID=minioadmin AWS_SECRET_ACCESS_KEY=minioadmin AWS_DEFAULT_REGION=us-east-1
  export AWS_CA_BUNDLE=${certs.caFile} NODE_EXTRA_CA_CERTS=${certs.caFile}
  aws --endpoint-url ${s3} s3 mb s3://demo
  aws --endpoint-url ${s3} s3 cp README.md s3://demo/README.md
  aws --endpoint-url ${s3} s3api head-object --bucket demo --key README.md    # "ServerSideEncryption"
  aws --endpoint-url ${s3} s3 cp s3://demo/README.md -                        # decrypted on the way out

  node bin/keyhold-s3.js alias set local ${s3} minioadmin minioadmin
  node bin/keyhold-s3.js admin user add local alice alice-secret-1             # an S3 user ...
  node bin/keyhold-s3.js admin policy attach local readwrite --user alice      # ... who may read and write
  node bin/keyhold-s3.js admin kms key status local                            # keyhold-s3's view of Keyhold

  export KES_SERVER=https://${opts.kmsAddress} KES_CAPATH=${certs.caFile}
  export KES_CLIENT_CERT=${certs.adminCertFile} KES_CLIENT_KEY=${certs.adminKeyFile}
  node bin/keyhold.js key ls                  # the master keys (admin identity)
  node bin/keyhold.js log --audit             # every request, live

Ctrl-C stops both.
`
}

async function main(argv: string[]): Promise<number> {
  const opts = parseArgs(argv, process.env)
  if (opts === 'help') {
    process.stdout.write(HELP)
    return 0
  }
  // Before anything is written: a second `npm start` must not touch the first one's files.
  await checkAddresses(opts)
  mkdirSync(opts.home, { recursive: true, mode: 0o700 })
  const certs = await ensureDevCerts(join(opts.home, 'certs'))
  const configFile = join(opts.home, 'keyhold.yml')
  writeIfChanged(configFile, kmsConfig(certs, opts))

  const children: ChildProcess[] = []
  let stopping = false
  const stop = (code: number) => {
    if (stopping) return
    stopping = true
    for (const c of children) if (c.exitCode === null) c.kill('SIGTERM')
    setTimeout(() => process.exit(code), 3000).unref()
    Promise.all(children.map((c) => (c.exitCode === null ? new Promise((r) => c.once('exit', r)) : undefined)))
      .then(() => process.exit(code), () => process.exit(code))
  }
  process.on('SIGINT', () => stop(0))
  process.on('SIGTERM', () => stop(0))

  const baseEnv = { ...process.env, KEYHOLD_FROM_SOURCE: process.env.KEYHOLD_FROM_SOURCE ?? '' }
  const kms = start('keyhold', ['bin/keyhold.js', 'server', '--config', configFile, '--workers', '1'], {
    ...baseEnv,
    MINIO_KMS_IDENTITY: certs.s3Identity,
  })
  children.push(kms)
  kms.on('exit', (code) => stop(stopping ? 0 : code ?? 1))
  await waitForKms(certs, opts.kmsAddress, kms)

  const s3 = start('keyhold-s3', ['bin/keyhold-s3.js', 'server', join(opts.home, 'data'), '--address', opts.s3Address, '--certs-dir', certs.s3CertsDir, '--dev'], {
    ...baseEnv,
    MINIO_ROOT_USER: 'minioadmin',
    MINIO_ROOT_PASSWORD: 'minioadmin',
    MINIO_KMS_KES_ENDPOINT: `https://${opts.kmsAddress}`,
    MINIO_KMS_KES_CERT_FILE: certs.s3ClientCertFile,
    MINIO_KMS_KES_KEY_FILE: certs.s3ClientKeyFile,
    MINIO_KMS_KES_CAPATH: certs.caFile,
    MINIO_KMS_KES_KEY_NAME: DEFAULT_KEY,
    MINIO_KMS_AUTO_ENCRYPTION: 'on',
    KEYHOLD_S3_TRY_IT: 'off', // the banner below is the one "Try it" block, with the dev CA
  })
  children.push(s3)
  s3.on('exit', (code) => stop(stopping ? 0 : code ?? 1))
  s3.stdout?.once('data', () => setTimeout(() => process.stdout.write(banner(certs, opts)), 300))
  return new Promise<number>(() => undefined)
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`keyhold quick start: ${err instanceof Error ? err.message : String(err)}\n`)
    process.exit(1)
  },
)
