/**
 * `keyhold-s3 server DATA_DIR [--address HOST:PORT] [--certs-dir DIR] [--domain D] [--region R] [--dev]`:
 * runs the S3 server until SIGINT/SIGTERM; SIGHUP (and a poll of the files) reloads the certificates. Root credentials come from
 * MINIO_ROOT_USER / MINIO_ROOT_PASSWORD and must be strong unless --dev (or KEYHOLD_S3_DEV=1) is given.
 *
 * @module
 */
import { mkdirSync, readdirSync } from 'node:fs'
import { homedir } from 'node:os'
import { join, resolve } from 'node:path'
import { acquireFileLock, type FileLock } from '../../lib/file-lock.js'
import { parseHostPort } from '../../lib/host-port.js'
import { startCertReloader } from '../../s3/tls/cert-reload.js'
import { DEV_PASSWORD, readS3Environment, type S3Environment } from '../../s3/config/environment.js'
import { SharedKms } from '../../s3/kms/shared.js'
import { openAccessLog, type AccessLogSink } from '../../s3/ops/access-log.js'
import type { S3ServerOptions } from '../../s3/options.js'
import { createS3Server } from '../../s3/server.js'
import { startServerParts, type ServerParts } from './server-parts.js'
import { stopLine } from './shutdown.js'
import { createServiceLogger, messageLog } from '../../lib/logger.js'

interface Io {
  env: NodeJS.ProcessEnv
  stdout: (s: string) => void
  stderr: (s: string) => void
}

const HELP = `Usage: keyhold-s3 server DATA_DIR [OPTIONS]

Serve the S3 API from DATA_DIR (object files and a SQLite metadata database).

Options:
  --address HOST:PORT  Listen address (default ":9000": all interfaces, port 9000).
  --certs-dir DIR      TLS certificates: DIR/public.crt + DIR/private.key turn TLS on, subfolders add SNI
                       certificates, DIR/CAs holds trusted CAs (default ~/.keyhold-s3/certs).
  --domain DOMAIN      Accept virtual-host style requests (BUCKET.DOMAIN); also MINIO_DOMAIN.
  --region REGION      Only accept signatures for REGION (default: any); also MINIO_REGION.
  --dev                Development mode: default credentials (minioadmin/minioadmin) allowed.
  -h, --help           Print this help.

Environment:
  MINIO_ROOT_USER      Root access key (at least 3 characters).
  MINIO_ROOT_PASSWORD  Root secret key (at least 8 characters, not a default).
  MINIO_CERT_PASSWD    Passphrase of an encrypted private.key.
  KEYHOLD_S3_TRY_IT    off: leave the "Try it" commands out of the start-up banner (npm start prints its own).
  MINIO_SHUTDOWN_TIMEOUT
                       On SIGTERM/SIGINT, how long requests in flight may finish before they are cut
                       (default 30s; e.g. 500ms, 2m; 0 cuts at once).
  MINIO_PROMETHEUS_AUTH_TYPE
                       jwt (default: /minio/v2/metrics/* need the bearer token of
                       'keyhold-s3 admin prometheus generate') or public.
  KEYHOLD_S3_ACCESS_LOG
                       Access log, one JSON line per request: stdout or a file path (default off).
  KEYHOLD_S3_CERTS_POLL
                       How often the certs dir and the KMS client certificate files are checked for
                       changes (default 60s; e.g. 500ms, 5m; off disables). SIGHUP reloads at once.
  MINIO_API_STALE_UPLOADS_EXPIRY
                       Multipart uploads left unfinished this long are aborted and their parts removed
                       (default 24h; e.g. 30m; off keeps them until aborted or a lifecycle rule says).
  MINIO_API_CORS_ALLOW_ORIGIN
                       Origins whose web pages may read the S3 API's answers (CORS), comma-separated, *
                       wildcards allowed, e.g. https://app.example,https://*.example.org. Unset: any origin,
                       for signed requests only; set (even to *), anonymous reads are answered too.
`

/** The lock file that makes one server the only one on a data directory (see src/lib/file-lock.ts). */
export const DATA_DIR_LOCK = 'keyhold-s3.lock'

/** parseAddress splits HOST:PORT (":9000", "[::1]:9000", "127.0.0.1:0"); throws Error when invalid. */
export function parseAddress(address: string): { host: string; port: number } {
  const parsed = parseHostPort(address)
  if (parsed === undefined) throw new Error(`invalid --address '${address}': expected HOST:PORT`)
  return { host: parsed.host || '::', port: parsed.port }
}

function parseArgs(args: string[]): { dataDir?: string; flags: Map<string, string | true> } {
  const flags = new Map<string, string | true>()
  let dataDir: string | undefined
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    if (a === '-h' || a === '--help' || a === '--dev') {
      flags.set(a === '-h' ? '--help' : a, true)
    } else if (a.startsWith('--')) {
      const eq = a.indexOf('=')
      const name = eq < 0 ? a : a.slice(0, eq)
      if (!['--address', '--certs-dir', '--domain', '--region'].includes(name)) throw new Error(`unknown flag ${name}`)
      const value = eq < 0 ? args[++i] : a.slice(eq + 1)
      if (value === undefined) throw new Error(`flag ${name} needs a value`)
      flags.set(name, value)
    } else if (dataDir === undefined) {
      dataDir = a
    } else {
      throw new Error(`unexpected argument '${a}'`)
    }
  }
  return { dataDir, flags }
}

/** serverCommand runs `keyhold-s3 server`; resolves the exit code once the server stopped. */
export async function serverCommand(args: string[], io: Io): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>
  try {
    parsed = parseArgs(args)
  } catch (err) {
    io.stderr(`keyhold-s3 server: ${(err as Error).message}\n\n${HELP}`)
    return 2
  }
  const { flags } = parsed
  if (flags.has('--help')) {
    io.stdout(HELP)
    return 0
  }
  if (parsed.dataDir === undefined) {
    io.stderr(`keyhold-s3 server: DATA_DIR is required\n\n${HELP}`)
    return 2
  }
  // The environment is read here, once, and checked whole: a bad value stops start-up before anything is opened.
  let environment: S3Environment
  try {
    environment = readS3Environment(io.env, { dev: flags.has('--dev') })
  } catch (err) {
    io.stderr(`keyhold-s3 server: ${(err as Error).message}\n`)
    return 1
  }
  const { rootUser, rootPassword, dev } = environment
  const dataDir = resolve(parsed.dataDir)
  const certsDir = resolve(String(flags.get('--certs-dir') ?? join(homedir(), '.keyhold-s3', 'certs')))
  // The server's log: the shared pino line format (ISO time, level name, svc), written synchronously to stderr
  // so the last line before exit (the stop summary) is never lost.
  const logger = createServiceLogger('keyhold-s3', 'info', { write: (line: string) => void io.stderr(line) })
  const log = messageLog(logger)
  // Before anything touches the data dir: a second server's start-up recovery would delete the
  // first one's unfinished uploads, and two writers would race on every object.
  let lock: FileLock
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 })
    lock = acquireFileLock(join(dataDir, DATA_DIR_LOCK), { holder: 'keyhold-s3 server', what: `data directory '${dataDir}'` })
  } catch (err) {
    io.stderr(`keyhold-s3 server: ${(err as Error).message}\n`)
    return 1
  }
  let parts: ServerParts | undefined
  const kms = new SharedKms(environment.kms, { certsDir, log })
  let server: Awaited<ReturnType<typeof createS3Server>>
  let accessLog: AccessLogSink | undefined
  try {
    const { host, port } = parseAddress(String(flags.get('--address') ?? ':9000'))
    const options: S3ServerOptions = {
      dataDir, host, port, certsDir, certPassword: environment.certPassword, rootUser, rootPassword, log,
      domain: String(flags.get('--domain') ?? environment.domain ?? '') || undefined,
      region: String(flags.get('--region') ?? environment.region ?? ''),
      publicMetrics: environment.publicMetrics,
      shutdownGraceMs: environment.shutdownGraceMs,
      staleUploadsMs: environment.staleUploadsMs,
      corsAllowOrigins: environment.corsAllowOrigins,
    }
    parts = await startServerParts({ dataDir, certsDir, rootUser, rootPassword, kms, log })
    Object.assign(options, parts.options)
    options.kms = await kms.connect()
    accessLog = await openAccessLog(environment.accessLog)
    if (accessLog !== undefined) options.accessLog = accessLog.write
    server = await createS3Server(options)
  } catch (err) {
    io.stderr(`keyhold-s3 server: ${(err as Error).message}\n`)
    await parts?.close()
    await kms.close()
    lock.release()
    await accessLog?.close()
    return 1
  }
  // Listen for the signals before the banner says we serve: SIGTERM or SIGHUP arriving with no listener
  // kills the process outright, skipping the clean stop (the lock, the uploads in flight).
  const stopSignal = new Promise<string>((done) => {
    process.once('SIGINT', () => done('SIGINT'))
    process.once('SIGTERM', () => done('SIGTERM'))
  })
  const reloader = startCertReloader({ server, kms, watch: [certsDir, ...kms.kmsFiles()], pollMs: environment.certsPollMs, signals: true, log })
  const tryIt = !environment.tryIt ? [] : tryItLines(server.url, server.tls, certsDir, rootUser, rootPassword === DEV_PASSWORD)
  io.stdout(banner(server.url, server.tls, dataDir, certsDir, rootUser, dev, parts.banner, tryIt))
  if (server.recovered > 0) log.info(`start-up removed ${server.recovered} unfinished upload file(s) left by an earlier stop`)
  const signal = await stopSignal
  reloader.close()
  const stop = await server.close()
  await parts.close()
  await kms.close()
  await accessLog?.close()
  lock.release()
  log.info(stopLine(signal, stop))
  return 0
}

function shownUrl(url: string): string {
  return url.replace('//[::]:', '//localhost:').replace('//0.0.0.0:', '//localhost:')
}

/**
 * The commands that work as printed (the secret is named, never shown, unless it is the public dev default;
 * a CA from the certs dir is trusted), for the AWS CLI and keyhold-s3's own admin commands.
 */
function tryItLines(url: string, tls: boolean, certsDir: string, user: string, devSecret: boolean): string[] {
  const shown = shownUrl(url)
  const secret = devSecret ? DEV_PASSWORD : '"$MINIO_ROOT_PASSWORD"'
  const ca = tls ? firstCA(certsDir) : undefined
  const caLines = !tls ? [] : ca === undefined
    ? [`  export AWS_CA_BUNDLE=/path/to/the-ca-that-signed-public.crt NODE_EXTRA_CA_CERTS=$AWS_CA_BUNDLE`]
    : [`  export AWS_CA_BUNDLE=${ca} NODE_EXTRA_CA_CERTS=${ca}`]
  return [
    'Try it (in another shell):',
    `  export AWS_ACCESS_KEY_ID=${user} AWS_SECRET_ACCESS_KEY=${secret} AWS_DEFAULT_REGION=us-east-1`,
    ...caLines,
    `  aws --endpoint-url ${shown} s3 mb s3://demo`,
    `  aws --endpoint-url ${shown} s3 cp ./README.md s3://demo/`,
    `  keyhold-s3 alias set local ${shown} ${user} ${secret}`,
    `  keyhold-s3 admin user add local alice alice-secret-1 && keyhold-s3 admin policy attach local readwrite --user alice`,
    '',
  ]
}

/** firstCA returns a CA certificate file from `<certsDir>/CAs`, or undefined. */
function firstCA(certsDir: string): string | undefined {
  try {
    const name = readdirSync(join(certsDir, 'CAs')).filter((n) => n.endsWith('.crt') || n.endsWith('.pem')).sort()[0]
    return name === undefined ? undefined : join(certsDir, 'CAs', name)
  } catch {
    return undefined
  }
}

function banner(url: string, tls: boolean, dataDir: string, certsDir: string, user: string, dev: boolean, extra: string[], tryIt: string[]): string {
  const shown = shownUrl(url)
  const lines = [
    `keyhold-s3 is serving the S3 API at ${shown}`,
    `  Data:      ${dataDir}`,
    `  Root user: ${user}`,
    tls ? `  TLS:       certificates from ${certsDir}` : `  WARNING: no certificates in ${certsDir} (public.crt + private.key): serving plain HTTP`,
    ...(dev ? ['  WARNING: development mode; default credentials are allowed. Never use --dev in production.'] : []),
    ...extra.map((l) => `  ${l}`),
    '',
    ...tryIt,
  ]
  return lines.join('\n')
}
