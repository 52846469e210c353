/**
 * `keyhold server`: runs the KMS server from a KES config file, or `--dev` with an in-memory
 * keystore, a self-signed server certificate and a fresh admin API key. Stops on SIGINT/SIGTERM;
 * reloads the config on SIGHUP.
 *
 * @module
 */
import cluster from 'node:cluster'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { parseConfig, readConfigText } from '../../kms/config/load.js'
import { DEFAULT_ADDRESS, DEFAULT_CACHE, type ServerConfig } from '../../kms/config/types.js'
import { apiKeyCertificate, apiKeyIdentity, newApiKey } from '../../pki/api-key.js'
import { createCertificate } from '../../pki/certificate.js'
import { generateKeyPair, privateKeyToPem } from '../../pki/keys.js'
import { serveKms, type Listening } from '../../kms/workers/serve.js'
import { configFromPrimary } from '../../kms/workers/config-snapshot.js'
import { failWorkerStart } from '../../kms/workers/worker.js'
import { listenUrls } from '../../lib/listen-urls.js'
import { UsageError } from '../errors.js'

const HELP = `Usage: keyhold server --config FILE [--addr HOST:PORT]
       keyhold server --dev [--addr HOST:PORT]

Start a KES-compatible key server.

Options:
  --config FILE      KES server config (YAML). Policies may live in a separate file the
                     config names with 'policy_file:' (see policy.yml).
  --addr HOST:PORT   Listen address (default: config 'address', else ${DEFAULT_ADDRESS}).
  --workers N        Worker processes sharing the port (default: one per core; the memory
                     keystore of --dev runs one). SIGHUP to the server reaches every worker.
  --dev              Development mode: in-memory keystore (keys are lost on exit), a
                     self-signed certificate for localhost and 127.0.0.1, and a fresh admin
                     API key, printed with ready-to-paste curl and keyhold commands.
  -h, --help         Show this help.

Signals: SIGHUP reloads the config (and policy file; an invalid one is logged and the
running config kept); SIGINT and SIGTERM stop the server.
`

/** usage makes the UsageError of bad `keyhold server` arguments, its message naming the command; throws nothing. */
const usage = (message: string): UsageError => new UsageError(`keyhold server: ${message}`)

interface Args {
  config?: string
  addr?: string
  workers?: number
  dev: boolean
  help: boolean
}

/** parseServerArgs parses the flags. Throws UsageError. */
export function parseServerArgs(argv: string[]): Args {
  const args: Args = { dev: false, help: false }
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!
    const [flag, inline] = a.startsWith('--') && a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined]
    const value = () => {
      const v = inline ?? argv[++i]
      if (v === undefined || v === '') throw usage(`${flag} needs a value`)
      return v
    }
    if (flag === '--config') args.config = value()
    else if (flag === '--addr') args.addr = value()
    else if (flag === '--workers') {
      const v = value()
      if (!/^\d+$/.test(v) || Number(v) < 1) throw usage(`--workers wants a whole number of at least 1, not '${v}'`)
      args.workers = Number(v)
    } else if (flag === '--dev') args.dev = true
    else if (flag === '-h' || flag === '--help') args.help = true
    else if (flag === '--key' || flag === '--cert' || flag === '--auth') {
      value()
      process.stderr.write(`keyhold server: ${flag} is deprecated and ignored (set it in the config file)\n`)
    } else throw usage(`unknown argument '${a}' (see --help)`)
  }
  if (!args.help && args.dev && args.config !== undefined) throw usage('--dev and --config are mutually exclusive')
  if (!args.help && !args.dev && args.config === undefined) throw usage('--config FILE or --dev is required (see --help)')
  return args
}

/** runServerCommand parses `keyhold server` arguments and runs the server until it is stopped. Throws UsageError, ConfigError, or start-up errors. */
export async function runServerCommand(argv: string[]): Promise<void> {
  const args = parseServerArgs(argv)
  if (args.help) {
    process.stdout.write(HELP)
    return
  }
  // serveKms (src/workers) adds the observability, runs N workers and waits for SIGINT/SIGTERM.
  if (args.dev) {
    const dev = await devConfig(args.addr ?? DEFAULT_ADDRESS)
    // The certificates and client key are for this run only: remove them however we stop
    // (the exit hook covers process.exit and uncaught errors; only SIGKILL leaves them).
    const removeDir = (): void => rmSync(dev.dir, { recursive: true, force: true })
    process.once('exit', removeDir)
    try {
      await serveKms(dev.config, { workers: args.workers, banner: (at) => devBanner(at, dev) })
    } finally {
      removeDir()
      process.off('exit', removeDir)
    }
  } else {
    let config: ServerConfig
    let text: string
    try {
      // A worker starts with the config the running workers use, not with the file as edited since:
      // an edit takes effect on SIGHUP, in every worker at once (src/kms/workers/config-snapshot.ts).
      text = (cluster.isWorker ? await configFromPrimary() : undefined) ?? readConfigText(args.config!)
      config = parseConfig(text, resolve(args.config!))
    } catch (err) {
      // A worker that cannot start (a config file it had to read, and found invalid): the primary must hear of it.
      if (cluster.isWorker) await failWorkerStart(err)
      throw err
    }
    if (args.addr !== undefined) config = { ...config, address: args.addr }
    await serveKms(config, { workers: args.workers, banner: (at) => banner(at, config), configText: text })
  }
}

interface DevSetup {
  config: ServerConfig
  apiKey: string
  dir: string
  serverCert: string
  clientCert: string
  clientKey: string
}

async function devConfig(address: string): Promise<DevSetup> {
  const keyPair = generateKeyPair('ecdsa-p256')
  const certPem = await createCertificate({ commonName: 'localhost', keyPair, hosts: ['localhost', '127.0.0.1', '::1'], usage: ['server'], days: 90 })
  const apiKey = newApiKey()
  const client = await apiKeyCertificate(apiKey)
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-dev-'))
  const file = (name: string, data: string, mode = 0o600) => {
    writeFileSync(join(dir, name), data, { mode })
    return join(dir, name)
  }
  return {
    apiKey,
    dir,
    serverCert: file('server.crt', certPem, 0o644),
    clientCert: file('client.crt', client.certPem, 0o644),
    clientKey: file('client.key', client.keyPem),
    config: {
      address,
      admin: apiKeyIdentity(apiKey),
      tls: { certPem, keyPem: privateKeyToPem(keyPair.privateKey), verifyClients: false },
      api: {},
      policies: {},
      cache: DEFAULT_CACHE,
      log: { error: 'info', audit: 'info' },
      keys: [],
      keystore: { kind: 'memory' },
    },
  }
}

function devBanner(at: Listening, dev: DevSetup): string {
  const url = `https://127.0.0.1:${at.port}`
  return `Keyhold is running in development mode: keys live in memory and are lost on exit.

  Endpoint   ${url}
  Admin key  ${dev.apiKey}
  Identity   ${dev.config.admin}
  Files      ${dev.dir}  (server.crt, client.crt, client.key for curl; removed on exit)

Try it with curl:
  curl --cacert ${dev.serverCert} --cert ${dev.clientCert} --key ${dev.clientKey} -X POST ${url}/v1/key/create/my-key
  curl --cacert ${dev.serverCert} --cert ${dev.clientCert} --key ${dev.clientKey} -X POST -d '{}' ${url}/v1/key/generate/my-key

Or with the keyhold CLI:
  export KES_SERVER=${url}
  export KES_API_KEY=${dev.apiKey}
  export KES_CAPATH=${dev.serverCert}
  keyhold key create my-key
  keyhold key dek my-key

`
}

function banner(at: Listening, c: ServerConfig): string {
  const urls = listenUrls(c.address.replace(/:\d+$/, ''), at.port)
  const clientTls = !c.tls.verifyClients
    ? 'any certificate; authorisation by identity'
    : c.tls.caPem === undefined ? "certificates verified against the system's root CAs" : 'certificates verified against tls.ca'
  return `Keyhold is listening on ${at.url}${at.workers > 1 ? ` (${at.workers} workers)` : ''}
${urls.length > 1 || urls[0] !== at.url ? `  Addresses  ${urls.join(', ')}\n` : ''}  Admin      ${/^[0-9a-f]{64}$/.test(c.admin) ? c.admin : '<disabled>'}
  Keystore   ${c.keystore.kind === 'fs' ? `Filesystem: ${c.keystore.path}` : c.keystore.kind}
  Policies   ${Object.keys(c.policies).length}${c.policyFile ? ` (from ${c.policyFile})` : ''}
  Client TLS ${clientTls}
`
}
