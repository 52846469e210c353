/**
 * `keyhold key create|import|info|ls|rm|encrypt|decrypt|dek|rotate`: manage master keys and use them.
 * Errors read as KES's do: `failed to create key "my-key": key already exists`.
 *
 * @module
 */
import { CLIENT_FLAGS, JSON_FLAG, type Command, type Group } from '../args.js'
import { formatDuration, formatTime } from '../output.js'
import { terminalText } from '../../lib/terminal-text.js'
import { decodeBase64Arg, failedTo } from './common.js'
import { listCommand, printRecord } from './listing.js'
import { rotate, versionLines } from './key-rotate.js'
import { disableCommand, enableCommand, restoreCommand, stateCommand } from './key-state.js'

const create: Command = {
  name: 'create',
  summary: 'Create new master keys.',
  synopsis: '<name>...',
  args: { min: 1, max: Infinity, missing: 'no key name specified' },
  flags: [...CLIENT_FLAGS],
  examples: ['keyhold key create my-key', 'keyhold key create my-key1 my-key2'],
  async run(ctx) {
    const client = await ctx.client()
    for (const name of ctx.args) await failedTo(`create key "${name}"`, () => client.createKey(name))
  },
}

const importKey: Command = {
  name: 'import',
  summary: 'Import a master key: 32 bytes, base64.',
  synopsis: '<name> <key>',
  args: { min: 2, max: 2, missing: 'no key name or key specified' },
  flags: [...CLIENT_FLAGS, { long: 'cipher', kind: 'string', arg: 'ALG', help: 'AES256 (default) or ChaCha20.' }],
  examples: ['keyhold key import my-key "$(head -c 32 /dev/urandom | base64)"'],
  async run(ctx) {
    const [name, encoded] = ctx.args as [string, string]
    const key = decodeBase64Arg(encoded, 'key', 'key import')
    const client = await ctx.client()
    await failedTo(`import key "${name}"`, () => client.importKey(name, key, (ctx.flags.cipher as string | undefined) ?? 'AES256'))
  },
}

const info: Command = {
  name: 'info',
  summary: 'Describe a master key.',
  synopsis: '<name>',
  args: { min: 1, max: 1, missing: 'no key name specified' },
  flags: [...CLIENT_FLAGS, JSON_FLAG],
  examples: ['keyhold key info my-key'],
  async run(ctx) {
    const name = ctx.args[0]!
    const client = await ctx.client()
    const key = await failedTo(`describe key "${name}"`, () => client.describeKey(name))
    printRecord(ctx.out, key, [
      ['Name', key.name],
      ['Algorithm', key.algorithm],
      ['Created At', formatTime(key.created_at)],
      ['Created By', key.created_by],
      ...(key.version !== undefined ? [['Version', String(key.version)] as [string, string]] : []),
    ])
    const versions = versionLines(key)
    if (!ctx.out.json && versions !== '') ctx.out.print(versions)
  },
}

const ls = listCommand({
  summary: 'List master keys.',
  details: "<pattern> is '*' (all, the default) or a prefix with an optional trailing '*'.",
  examples: ['keyhold key ls', "keyhold key ls 'my-key*'"],
  header: 'Key',
  what: 'keys',
  list: (client, pattern) => client.listKeys(pattern),
})

const rm: Command = {
  name: 'rm',
  summary: 'Delete master keys.',
  synopsis: '<name>...',
  args: { min: 1, max: Infinity, missing: 'no key name specified' },
  flags: [...CLIENT_FLAGS],
  examples: ['keyhold key rm my-key', 'keyhold key rm my-key1 my-key2'],
  async run(ctx) {
    const client = await ctx.client()
    for (const name of ctx.args) {
      const { otherServersMaySec: bound, deleteAt } = await failedTo(`remove key "${name}"`, () => client.deleteKey(name))
      if (deleteAt !== undefined) {
        // The time is the server's answer (a header): the line is escaped for the terminal.
        ctx.out.warn(terminalText(`note: key "${name}" is scheduled for deletion at ${formatTime(deleteAt)}; 'keyhold key restore ${name}' undoes it until then`))
        continue
      }
      if (bound !== undefined) {
        const upTo = bound === Infinity ? 'for as long as they keep using it (their cache.expiry.any is off)' : `for up to ${formatDuration(bound)} (cache.expiry.any)`
        ctx.out.warn(terminalText(`note: key "${name}" is deleted; other Keyhold servers sharing this keystore may still use it ${upTo}`))
      }
    }
  },
}

const encrypt: Command = {
  name: 'encrypt',
  summary: 'Encrypt a message with a master key.',
  synopsis: '<name> <message>',
  args: { min: 2, max: 2, missing: 'no key name or message specified' },
  flags: [...CLIENT_FLAGS, JSON_FLAG],
  examples: ['keyhold key encrypt my-key "Hello World"'],
  async run(ctx) {
    const [name, message] = ctx.args as [string, string]
    const client = await ctx.client()
    const ciphertext = (await failedTo('encrypt message', () => client.encrypt(name, Buffer.from(message, 'utf8')))).toString('base64')
    if (ctx.out.json) ctx.out.printJson({ ciphertext })
    else ctx.out.print(`\nciphertext: ${ciphertext}`)
  },
}

const decrypt: Command = {
  name: 'decrypt',
  summary: 'Decrypt a ciphertext (e.g. of a data key) with a master key.',
  synopsis: '<name> <ciphertext> [<context>]',
  args: { min: 2, max: 3, missing: 'no key name or ciphertext specified' },
  flags: [...CLIENT_FLAGS, JSON_FLAG],
  details: 'The ciphertext and the context are base64; the plaintext is printed as base64.',
  examples: ['CIPHERTEXT=$(keyhold key dek my-key | jq -r .ciphertext)', 'keyhold key decrypt my-key "$CIPHERTEXT"'],
  async run(ctx) {
    const [name, ct, context] = ctx.args as [string, string, string | undefined]
    const ciphertext = decodeBase64Arg(ct, 'ciphertext', 'key decrypt')
    const ad = context === undefined ? undefined : decodeBase64Arg(context, 'context', 'key decrypt')
    const client = await ctx.client()
    const plaintext = (await failedTo('decrypt ciphertext', () => client.decrypt(name, ciphertext, ad))).toString('base64')
    if (ctx.out.json) ctx.out.printJson({ plaintext })
    else ctx.out.print(`\nplaintext: ${plaintext}`)
  },
}

const dek: Command = {
  name: 'dek',
  summary: 'Generate a data encryption key: its plaintext and its ciphertext under a master key.',
  synopsis: '<name> [<context>]',
  args: { min: 1, max: 2, missing: 'no key name specified' },
  flags: [...CLIENT_FLAGS, JSON_FLAG],
  details: 'The context (base64) is bound to the ciphertext: decrypt needs the same one.',
  examples: ['keyhold key dek my-key', 'keyhold key dek my-key "$(printf my-context | base64)"'],
  async run(ctx) {
    const [name, context] = ctx.args as [string, string | undefined]
    const ad = context === undefined ? undefined : decodeBase64Arg(context, 'context', 'key dek')
    const client = await ctx.client()
    const key = await failedTo('derive key', () => client.generateKey(name, ad))
    const plaintext = key.plaintext.toString('base64')
    const ciphertext = key.ciphertext.toString('base64')
    if (ctx.out.json) ctx.out.printJson({ plaintext, ciphertext })
    else ctx.out.print(`\nplaintext:  ${plaintext}\nciphertext: ${ciphertext}`)
  },
}

/** The `keyhold key` command group. */
export const keyGroup: Group = {
  name: 'key',
  summary: 'Manage and use master keys.',
  commands: [create, importKey, info, ls, rm, encrypt, decrypt, dek, rotate, stateCommand, disableCommand, enableCommand, restoreCommand],
}
