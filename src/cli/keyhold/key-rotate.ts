/**
 * `keyhold key rotate`: make a new version of master keys current (docs/key-rotation.md).
 *
 * @module
 */
import { CLIENT_FLAGS, JSON_FLAG, type Command } from '../args.js'
import { formatTime } from '../output.js'
import { terminalText } from '../../lib/terminal-text.js'
import type { KeyInfo } from '../../kes-client/index.js'
import { failedTo } from './common.js'

/** The `keyhold key rotate` command. */
export const rotate: Command = {
  name: 'rotate',
  summary: 'Rotate master keys: a new key version becomes current.',
  synopsis: '<name>...',
  args: { min: 1, max: Infinity, missing: 'no key name specified' },
  flags: [...CLIENT_FLAGS, JSON_FLAG],
  details: [
    'Encrypt and generate use the new version at once, in every worker; decrypt keeps',
    'accepting ciphertexts of every older version. Older versions stay in the keystore beside',
    'the key until the key is deleted (keyhold key rm removes every version).',
    "Needs the policy path /v1/key/rotate/<name> (or the admin identity). Keyhold only: a KES",
    'server answers 404 page not found. See docs/key-rotation.md.',
  ].join('\n'),
  examples: ['keyhold key rotate my-key', 'keyhold key rotate my-key1 my-key2', 'keyhold key info my-key'],
  async run(ctx) {
    const client = await ctx.client()
    for (const name of ctx.args) {
      const r = await failedTo(`rotate key "${name}"`, () => client.rotateKey(name))
      if (ctx.out.json) ctx.out.printJson(r)
      // One line of the server's answer (its version is a number only if the server says so): escaped.
      else ctx.out.print(terminalText(`key "${r.name}" is now at version ${r.version} (created ${formatTime(r.created_at)})`))
    }
  },
}

/** versionLines renders the versions of a rotated key for `keyhold key info`; empty for a key never rotated. Throws nothing. */
export function versionLines(key: KeyInfo): string {
  if (key.versions === undefined || key.versions.length === 0) return ''
  // Each row is the server's text (formatTime gives back what it cannot parse as it is): escaped.
  const rows = key.versions.map((v) => terminalText(`  · v${v.version}  ${formatTime(v.created_at)}${v.version === key.version ? '  (current)' : ''}`))
  return `Versions\n${rows.join('\n')}`
}
