/**
 * `keyhold identity new|of|info|ls`: make identities (API keys, key + certificate files), compute
 * them, and ask the server about them.
 *
 * @module
 */
import { chmod, readFile, stat, writeFile } from 'node:fs/promises'
import { isIP } from 'node:net'
import {
  apiKeyIdentity,
  createCertificate,
  generateKeyPair,
  identityOfChain,
  identityOfPublicKey,
  newApiKey,
  privateKeyToPem,
  type KeyAlgorithm,
} from '../../pki/index.js'
import { CLIENT_FLAGS, JSON_FLAG, parseDurationFlag, type Command, type CommandContext, type Group } from '../args.js'
import { UsageError } from '../errors.js'
import { formatTime } from '../output.js'
import { fail } from './common.js'
import { listCommand, printRecord, type Rules } from './listing.js'

const newCommand: Command = {
  name: 'new',
  summary: 'Create a new identity: an API key, or a private key and certificate.',
  synopsis: '[<subject>]',
  args: { min: 0, max: 1 },
  flags: [
    { long: 'key', kind: 'string', arg: 'PATH', help: 'Write a new private key to PATH (mode 0600).' },
    { long: 'cert', kind: 'string', arg: 'PATH', help: 'Write its self-signed certificate to PATH.' },
    { long: 'algorithm', kind: 'string', arg: 'ALG', help: 'Key algorithm: ecdsa-p256 (default) or ed25519.' },
    { long: 'ip', kind: 'list', arg: 'IP', help: 'Add IP as subject alternative name (repeatable).' },
    { long: 'dns', kind: 'list', arg: 'DOMAIN', help: 'Add DOMAIN as subject alternative name (repeatable).' },
    { long: 'expiry', kind: 'string', arg: 'DURATION', help: 'Validity of the certificate. (default: 720h)' },
    { long: 'force', short: 'f', kind: 'boolean', help: 'Overwrite an existing private key and certificate.' },
    JSON_FLAG,
  ],
  details: `Without --key and --cert it prints a new API key and its identity. With them it writes a
private key and a self-signed certificate (client and server use; CN = <subject>, or the
identity) and prints the identity to put into a policy.`,
  examples: ['keyhold identity new', 'keyhold identity new --key client.key --cert client.crt my-app', 'keyhold identity new --key server.key --cert server.crt --ip 127.0.0.1 --dns localhost localhost'],
  async run(ctx) {
    const { key, cert } = ctx.flags as { key?: string; cert?: string }
    const ips = (ctx.flags.ip as string[] | undefined) ?? []
    const dns = (ctx.flags.dns as string[] | undefined) ?? []
    if (key !== undefined && cert === undefined) throw new UsageError("private key file specified but no certificate file. Set the '--cert' flag")
    if (key === undefined && cert !== undefined) throw new UsageError("certificate file specified but no private key file. Set the '--key' flag")
    if (key === undefined || cert === undefined) {
      for (const f of ['force', 'expiry', 'ip', 'dns', 'algorithm']) {
        if (ctx.flags[f] !== undefined) throw new UsageError(`'--${f}' requires a private key and certificate file. Set the '--cert' and '--key' flag`)
      }
      const apiKey = newApiKey()
      printApiKey(ctx, apiKey, apiKeyIdentity(apiKey))
      return
    }
    const bad = ips.find((ip) => isIP(ip) === 0)
    if (bad !== undefined) throw new UsageError(`invalid IP address '${bad}' for --ip`)
    const algorithm = (ctx.flags.algorithm as string | undefined) ?? 'ecdsa-p256'
    if (algorithm !== 'ecdsa-p256' && algorithm !== 'ed25519') throw new UsageError(`unsupported --algorithm '${algorithm}': use ecdsa-p256 or ed25519`)
    const expiryMs = parseDurationFlag((ctx.flags.expiry as string | undefined) ?? '720h', 'expiry')
    if (ctx.flags.force !== true) {
      if (await exists(key)) fail('private key already exists. Use --force to overwrite it')
      if (await exists(cert)) fail('certificate already exists. Use --force to overwrite it')
    }
    const keyPair = generateKeyPair(algorithm as KeyAlgorithm)
    const identity = identityOfPublicKey(keyPair.publicKey)
    const certPem = await createCertificate({
      commonName: ctx.args[0] ?? identity,
      keyPair,
      hosts: [...dns, ...ips],
      usage: ['client', 'server'],
      days: expiryMs / 86_400_000,
    })
    await writeFile(key, privateKeyToPem(keyPair.privateKey), { mode: 0o600 })
    await chmod(key, 0o600) // writeFile's mode applies only to a new file, not to one overwritten with --force
    await writeFile(cert, certPem, { mode: 0o644 })
    if (ctx.out.json) {
      ctx.out.printJson({ identity, key_file: key, cert_file: cert })
      return
    }
    ctx.out.print(`Your identity:\n\n   ${identity}\n`)
    ctx.out.print(`The private key is stored at: ${key}`)
    ctx.out.print(`The certificate is stored at: ${cert}\n`)
    ctx.out.print(`The identity is not a secret: put it into a policy. Compute it again with:\n\n    keyhold identity of ${cert}`)
  },
}

function printApiKey(ctx: CommandContext, apiKey: string, identity: string): void {
  if (ctx.out.json) {
    ctx.out.printJson({ api_key: apiKey, identity })
    return
  }
  ctx.out.print(`Your API key:\n\n   ${apiKey}\n\nThis is the only time it is shown. Keep it secret and secure!\n`)
  ctx.out.print(`Your identity:\n\n   ${identity}\n\nThe identity is not a secret. It can be shared. Any peer`)
  ctx.out.print(`needs this identity in order to verify your API key.\n\nThe identity can be computed again via:\n\n    keyhold identity of ${apiKey}`)
}

const ofCommand: Command = {
  name: 'of',
  summary: 'Compute the identity of an API key or a certificate file.',
  synopsis: '<api-key | certificate>',
  args: { min: 1, max: 1, missing: 'no API key or certificate specified' },
  flags: [JSON_FLAG],
  examples: ['keyhold identity of client.crt', 'keyhold identity of kes:v1:ACQpoGqx3rHHjT938Hfu5hVVQJHZWSqVI2Xp1KlYxFVw'],
  async run(ctx) {
    const arg = ctx.args[0]!
    let identity: string
    if (arg.startsWith('kes:v1:')) {
      identity = apiKeyIdentity(arg)
    } else {
      let text: string
      try {
        text = await readFile(arg, 'utf8')
      } catch (err) {
        fail(`cannot read '${arg}': ${(err as Error).message}`)
      }
      identity = identityOfPemFile(arg, text)
    }
    if (ctx.flags.json === true) ctx.out.printJson({ identity })
    else if (ctx.out.json) ctx.out.print(identity)
    else ctx.out.print(`Identity:\n\n   ${identity}`)
  },
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g

/**
 * identityOfPemFile returns the identity a Keyhold server would see for a client sending the
 * certificates of `text` (read from `file`) in order. Fails (exits) with a message naming the
 * file when there is no certificate, one does not parse, or the chain breaks the identity rule.
 */
function identityOfPemFile(file: string, text: string): string {
  const blocks = text.match(PEM_CERTIFICATE) ?? []
  if (blocks.length === 0) fail(`failed to parse certificate in '${file}': no PEM certificate found`)
  let result: ReturnType<typeof identityOfChain>
  try {
    result = identityOfChain(blocks)
  } catch (err) {
    fail(`failed to parse certificate in '${file}': ${(err as Error).message}`)
  }
  if ('identity' in result) return result.identity
  if (result.refused === 'ca-certificate') {
    fail(`the first certificate in '${file}' is a CA certificate (basic constraints CA:TRUE): a client identity must be a leaf certificate`)
  }
  fail(`'${file}' holds more than one client (non-CA) certificate: put the client certificate first and only CA certificates after it`)
}

const infoCommand: Command = {
  name: 'info',
  summary: 'Describe an identity, or without an argument the caller itself.',
  synopsis: '[<identity>]',
  args: { min: 0, max: 1 },
  flags: [...CLIENT_FLAGS, JSON_FLAG],
  examples: ['keyhold identity info', 'keyhold identity info 3ecfcdf38fcbe141ae26a1030f81e96b753365a46760ae6b578698a97c59fd22'],
  async run(ctx) {
    const client = await ctx.client()
    const id = ctx.args[0]
    const info = id === undefined ? await client.describeSelf() : { identity: id, ...(await client.describeIdentity(id)) }
    printRecord(ctx.out, info, [
      ['Identity', info.identity],
      ['Role', info.admin === true ? 'Admin' : 'User'],
      ['Policy', info.policy === '' ? undefined : info.policy],
      ['Created At', formatTime(info.created_at)],
      ['Created By', info.created_by === '' ? undefined : info.created_by],
    ], info as Rules)
  },
}

const lsCommand = listCommand({
  summary: 'List identities the server knows (policy members and the admin).',
  examples: ['keyhold identity ls', "keyhold identity ls 'b804befd*'"],
  header: 'Identity',
  list: (client, pattern) => client.listIdentities(pattern),
})

/** The `keyhold identity` command group. */
export const identityGroup: Group = {
  name: 'identity',
  summary: 'Create, compute and inspect identities.',
  commands: [newCommand, ofCommand, infoCommand, lsCommand],
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  )
}
