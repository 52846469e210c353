/**
 * `keyhold migrate --from CONFIG --to CONFIG [pattern]`: copies stored keys from one keystore to
 * another byte for byte (the encoded key, never decrypted or re-encoded), e.g. from the fs store
 * to Vault. Both keystores come from server config files, connected as the server connects them.
 *
 * @module
 */
import { connectKeystore, sameKeystore } from '../../kms/config/keystore.js'
import { loadConfigFile } from '../../kms/config/load.js'
import { KeyExistsError, type KeyStore } from '../../kms/keystore/keystore.js'
import { JSON_FLAG, type Command } from '../args.js'
import { UsageError } from '../errors.js'
import { terminalText } from '../../lib/terminal-text.js'
import { fail } from './common.js'

/** What to do with a key that already exists in the target. */
export type ExistingKeyMode = 'fail' | 'merge' | 'force'

/** globToRegExp turns a listing pattern (`*`, `?`; KES's path.Match subset for key names) into a RegExp. */
export function globToRegExp(pattern: string): RegExp {
  const body = pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')
  return new RegExp(`^${body}$`)
}

/**
 * migrateKeys copies every key whose name matches `pattern` from `from` to `to`, unchanged.
 * Existing target keys fail the migration (`fail`), are skipped (`merge`) or replaced (`force`).
 * Throws the keystore's error, or a CliError naming the key that exists in `fail` mode.
 */
export async function migrateKeys(
  from: KeyStore,
  to: KeyStore,
  opts: { pattern: string; mode: ExistingKeyMode; signal: AbortSignal; onKey?: (name: string, skipped: boolean) => void },
): Promise<{ migrated: number; skipped: number }> {
  const wildcard = opts.pattern.search(/[*?]/)
  const prefix = wildcard < 0 ? opts.pattern : opts.pattern.slice(0, wildcard)
  const match = globToRegExp(opts.pattern === '' ? '*' : opts.pattern)
  // The keystore contract pages by prefix only, so the whole matching name set is listed at once.
  const { names } = await from.list(prefix, 0, opts.signal)
  let migrated = 0
  let skipped = 0
  for (const name of names.filter((n) => match.test(n))) {
    opts.signal.throwIfAborted()
    const value = await from.get(name, opts.signal)
    try {
      await to.create(name, value, opts.signal)
    } catch (err) {
      if (!(err instanceof KeyExistsError)) throw err
      if (opts.mode === 'fail') {
        fail(`key "${name}" already exists in the target keystore. Use --merge to skip existing keys or --force to replace them`)
      }
      if (opts.mode === 'merge') {
        skipped++
        opts.onKey?.(name, true)
        continue
      }
      await to.delete(name, opts.signal)
      await to.create(name, value, opts.signal)
    }
    migrated++
    opts.onKey?.(name, false)
  }
  return { migrated, skipped }
}

/** The `keyhold migrate` command. */
export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'Copy keys from one keystore to another, unchanged.',
  synopsis: '--from CONFIG --to CONFIG [<pattern>]',
  args: { min: 0, max: 1 },
  flags: [
    { long: 'from', kind: 'string', arg: 'CONFIG', help: 'Server config file of the source keystore.' },
    { long: 'to', kind: 'string', arg: 'CONFIG', help: 'Server config file of the target keystore.' },
    { long: 'merge', kind: 'boolean', help: 'Skip keys that already exist in the target.' },
    { long: 'force', short: 'f', kind: 'boolean', help: 'Replace keys that already exist in the target.' },
    JSON_FLAG,
  ],
  details: `Only the 'keystore' sections are used, but both files must be valid server configs.
<pattern> selects keys by name: '*' (default), a prefix with '*', or a glob with '*' and '?'.
Without --merge or --force, a key that exists in the target stops the migration.`,
  examples: ['keyhold migrate --from fs-config.yml --to vault-config.yml', "keyhold migrate --from old.yml --to new.yml --merge 'minio-*'"],
  async run(ctx) {
    const { from, to } = ctx.flags as { from?: string; to?: string }
    if (from === undefined || to === undefined) throw new UsageError("both '--from' and '--to' are required")
    if (ctx.flags.merge === true && ctx.flags.force === true) throw new UsageError("'--merge' and '--force' are mutually exclusive")
    const mode: ExistingKeyMode = ctx.flags.merge === true ? 'merge' : ctx.flags.force === true ? 'force' : 'fail'
    const source = loadConfigFile(from, ctx.env)
    const target = loadConfigFile(to, ctx.env)
    if (sameKeystore(source.keystore, target.keystore)) fail('the source and the target are the same keystore')
    const src = await connectKeystore(source.keystore)
    try {
      const dst = await connectKeystore(target.keystore)
      try {
        // Key names come from the source keystore (another system's data): escaped for the terminal.
        const onKey = ctx.out.json ? undefined : (name: string, skipped: boolean) => ctx.out.print(`${skipped ? 'skipped ' : 'migrated'}  ${terminalText(name)}`)
        const result = await migrateKeys(src, dst, { pattern: ctx.args[0] ?? '*', mode, signal: ctx.signal, onKey })
        if (ctx.out.json) ctx.out.printJson(result)
        else ctx.out.print(`\nMigrated ${result.migrated} key(s) from ${src.toString()} to ${dst.toString()}${result.skipped > 0 ? `, skipped ${result.skipped}` : ''}.`)
      } finally {
        await dst.close()
      }
    } finally {
      await src.close()
    }
  },
}
