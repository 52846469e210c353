/**
 * `keyhold-s3 alias set ALIAS URL ACCESS_KEY SECRET_KEY`: mc-like aliases stored in
 * `~/.keyhold-s3/config.json` (mode 0600; `KEYHOLD_S3_CONFIG_DIR` overrides the directory), and the
 * SigV4-signed request every other subcommand sends to an alias.
 *
 * @module
 */
import { createHash, randomBytes } from 'node:crypto'
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import { request as httpRequest } from 'node:http'
import { request as httpsRequest } from 'node:https'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { rootCertificates } from 'node:tls'
import { loadTrustedCAs } from '../../s3/tls/certs-dir.js'
import { CliError } from '../errors.js'
import { terminalText } from '../../lib/terminal-text.js'
import { awsEncode, canonicalQuery, canonicalRequest, sha256Hex, signingKey, stringToSign, hmac } from '../../s3/auth/sigv4/canonical.js'

/** One alias: where a server is and the credentials to sign with. */
export interface Alias {
  url: string
  accessKey: string
  secretKey: string
  api: 's3v4'
  path: 'auto'
  /** PEMs of `<config dir>/certs/CAs` (mc's `~/.mc/certs/CAs`), trusted besides the system's; never stored. */
  ca?: string[]
}

interface AliasFile {
  version: '10'
  aliases: Record<string, Alias>
}

/** CliIo is where a subcommand writes; its `run` returns the exit code. */
export interface CliIo {
  env: NodeJS.ProcessEnv
  stdout: (s: string) => void
  stderr: (s: string) => void
}

/** wantsHelp reports whether `args` ask for help (`--help` or `-h`): the usage goes to stdout, exit 0. */
export function wantsHelp(args: readonly string[]): boolean {
  return args.includes('--help') || args.includes('-h')
}

const ALIAS_USAGE = 'Usage: keyhold-s3 alias set ALIAS URL ACCESS_KEY SECRET_KEY [--insecure]\n'

function configDir(env: NodeJS.ProcessEnv): string {
  return env.KEYHOLD_S3_CONFIG_DIR ?? join(env.HOME ?? homedir(), '.keyhold-s3')
}

function configPath(env: NodeJS.ProcessEnv): string {
  return join(configDir(env), 'config.json')
}

/** trustedCAs reads `<config dir>/certs/CAs/*` (PEM files); [] when absent or unreadable. Never throws. */
function trustedCAs(env: NodeJS.ProcessEnv): string[] {
  try {
    return loadTrustedCAs(join(configDir(env), 'certs'))
  } catch {
    return []
  }
}

function loadAliases(env: NodeJS.ProcessEnv): AliasFile {
  try {
    return JSON.parse(readFileSync(configPath(env), 'utf8')) as AliasFile
  } catch {
    return { version: '10', aliases: {} }
  }
}

/** findAlias returns a stored alias. Throws CliError when it does not exist. */
export function findAlias(env: NodeJS.ProcessEnv, name: string): Alias {
  const alias = loadAliases(env).aliases[name]
  if (alias === undefined) throw new CliError(`keyhold-s3: <ERROR> Unable to find alias \`${name}\`.`)
  return { ...alias, ca: trustedCAs(env) }
}

/** splitTarget splits `ALIAS/BUCKET/OBJECT...` into its parts (bucket and object may be empty). */
export function splitTarget(target: string): { alias: string; bucket: string; object: string } {
  const [alias = '', bucket = '', ...rest] = target.split('/')
  return { alias, bucket, object: rest.join('/') }
}

/** A response of {@link signedRequest}. */
export interface S3Response {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
}

/**
 * signedRequest sends one SigV4-signed request (region us-east-1, service s3) to an alias.
 * The alias's `ca` (`<config dir>/certs/CAs`) and `NODE_EXTRA_CA_CERTS` trust a private CA; `insecure` skips
 * verification. Throws CliError when
 * the server cannot be reached.
 */
export async function signedRequest(alias: Alias, method: string, path: string, query: Array<[string, string]> = [], body: Buffer = Buffer.alloc(0), insecure = false): Promise<S3Response> {
  const url = new URL(alias.url)
  const now = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '')
  const date = now.slice(0, 8)
  const region = 'us-east-1'
  const payloadHash = sha256Hex(body)
  const uri = awsEncode(path, true)
  const headers: Record<string, string> = {
    host: url.host,
    'x-amz-date': now,
    'x-amz-content-sha256': payloadHash,
  }
  if (body.length > 0) headers['content-md5'] = createHash('md5').update(body).digest('base64')
  const signed = Object.keys(headers).sort()
  const canonicalHeaders = signed.map((h) => `${h}:${headers[h]}\n`).join('')
  const qs = canonicalQuery(query)
  const scope = `${date}/${region}/s3/aws4_request`
  const canonical = canonicalRequest(method, uri, qs, canonicalHeaders, signed, payloadHash)
  const signature = hmac(signingKey(alias.secretKey, date, region, 's3'), stringToSign(now, scope, canonical)).toString('hex')
  headers.authorization = `AWS4-HMAC-SHA256 Credential=${alias.accessKey}/${scope}, SignedHeaders=${signed.join(';')}, Signature=${signature}`
  headers['content-length'] = String(body.length)
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest
  return new Promise((resolve, reject) => {
    const req = send({
      host: url.hostname, port: url.port, method, path: uri + (qs === '' ? '' : `?${qs}`), headers,
      rejectUnauthorized: !insecure, timeout: 30_000,
      ...(alias.ca !== undefined && alias.ca.length > 0 ? { ca: [...rootCertificates, ...alias.ca] } : {}),
    }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error('request timed out')))
    req.on('error', (err) => reject(new CliError(`keyhold-s3: <ERROR> Unable to reach ${alias.url}: ${err.message}`)))
    req.end(body)
  })
}

/** errorText extracts `<Code>`/`<Message>` (XML) or `Code`/`Message` (JSON) of an error answer. */
export function errorText(res: S3Response): string {
  const text = res.body.toString('utf8')
  try {
    const j = JSON.parse(text) as { Code?: string; Message?: string }
    if (j.Message !== undefined) return j.Message
  } catch {
    // not JSON: S3 XML
  }
  const m = /<Message>([^<]*)<\/Message>/.exec(text)
  return m?.[1] ?? `HTTP ${res.status}`
}

/**
 * checkCredentials probes an alias as mc's `probeS3Signature` does: GetBucketLocation of a bucket that does not
 * exist. NoSuchBucket or AccessDenied prove the signature was accepted; InvalidAccessKeyId,
 * SignatureDoesNotMatch or any other answer refuse the alias. Throws CliError.
 */
async function checkCredentials(alias: Alias, insecure: boolean): Promise<void> {
  const probe = `/probe-bucket-sign-${randomBytes(6).toString('hex')}/`
  const res = await signedRequest(alias, 'GET', probe, [['location', '']], Buffer.alloc(0), insecure)
  const code = /<Code>([^<]*)<\/Code>/.exec(res.body.toString('utf8'))?.[1]
  if (res.status === 200 || code === 'NoSuchBucket' || code === 'AccessDenied') return
  throw new CliError(`keyhold-s3: <ERROR> Unable to initialize new alias from the provided credentials. ${errorText(res)}`)
}

/**
 * aliasCommand runs `alias set ALIAS URL ACCESS_KEY SECRET_KEY [--insecure]`: checks the credentials against
 * the server (as mc), then writes the config file with mode 0600 atomically. Returns the exit code.
 */
export async function aliasCommand(argv: string[], io: CliIo): Promise<number> {
  if (wantsHelp(argv)) {
    io.stdout(ALIAS_USAGE)
    return 0
  }
  const insecure = argv.includes('--insecure')
  const args = argv.filter((a) => a !== '--insecure')
  if (args[0] !== 'set' || args.length !== 5) {
    io.stderr(ALIAS_USAGE)
    return 2
  }
  const [, name = '', url = '', accessKey = '', secretKey = ''] = args
  if (!/^[A-Za-z][A-Za-z0-9._-]*$/.test(name)) {
    io.stderr(`keyhold-s3: <ERROR> Invalid alias \`${name}\`.\n`)
    return 1
  }
  try {
    const parsed = new URL(url)
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme')
  } catch {
    io.stderr(`keyhold-s3: <ERROR> Invalid URL \`${url}\`.\n`)
    return 1
  }
  const alias: Alias = { url: url.replace(/\/+$/, ''), accessKey, secretKey, api: 's3v4', path: 'auto' }
  try {
    await checkCredentials({ ...alias, ca: trustedCAs(io.env) }, insecure)
  } catch (err) {
    io.stderr(`${terminalText((err as Error).message)}\n`)
    return 1
  }
  const file = loadAliases(io.env)
  file.aliases[name] = alias
  const path = configPath(io.env)
  mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 })
  const tmp = `${path}.${process.pid}.tmp`
  writeFileSync(tmp, JSON.stringify(file, null, 2) + '\n', { mode: 0o600 })
  chmodSync(tmp, 0o600)
  renameSync(tmp, path)
  io.stdout(`Added \`${name}\` successfully.\n`)
  return 0
}
