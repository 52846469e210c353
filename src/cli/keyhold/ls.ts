/**
 * `keyhold ls [-i|-p] [pattern]`: KES's top-level listing of keys, or identities (-i), or
 * policies (-p), kept for scripts written against `kes ls`.
 *
 * @module
 */
import { CLIENT_FLAGS, JSON_FLAG, type Command } from '../args.js'
import { UsageError } from '../errors.js'
import { collect, failedTo } from './common.js'
import { printNames } from './listing.js'

/** The `keyhold ls` command. */
export const lsCommand: Command = {
  name: 'ls',
  summary: 'List keys, identities (-i) or policies (-p).',
  synopsis: '[<pattern>]',
  args: { min: 0, max: 1 },
  flags: [
    ...CLIENT_FLAGS,
    { long: 'api-key', short: 'a', kind: 'string', arg: 'KEY', help: 'Authenticate with this API key instead of $KES_API_KEY.' },
    { long: 'identities', short: 'i', kind: 'boolean', help: 'List identities.' },
    { long: 'policies', short: 'p', kind: 'boolean', help: 'List policies.' },
    JSON_FLAG,
  ],
  examples: ['keyhold ls', "keyhold ls -p 'my-*'", 'keyhold ls -i'],
  async run(ctx) {
    if (ctx.flags.identities === true && ctx.flags.policies === true) throw new UsageError("'-i' and '-p' are mutually exclusive")
    const client = await ctx.client()
    const pattern = ctx.args[0] ?? '*'
    const [what, header, list] =
      ctx.flags.identities === true
        ? (['identities', 'Identity', client.listIdentities(pattern)] as const)
        : ctx.flags.policies === true
          ? (['policies', 'Policy', client.listPolicies(pattern)] as const)
          : (['keys', 'Key', client.listKeys(pattern)] as const)
    printNames(ctx.out, header, await failedTo(`list ${what}`, () => collect(list)))
  },
}
