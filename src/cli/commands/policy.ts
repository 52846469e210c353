/**
 * `keyhold policy ls|info|show`: the server's policies (defined in its configuration).
 *
 * @module
 */
import { CLIENT_FLAGS, JSON_FLAG, type Command, type Group } from '../args.js'
import { formatTime } from '../output.js'
import { collect, failedTo } from './common.js'

const ls: Command = {
  name: 'ls',
  summary: 'List policies.',
  synopsis: '[<pattern>]',
  args: { min: 0, max: 1 },
  flags: [...CLIENT_FLAGS, JSON_FLAG],
  examples: ['keyhold policy ls', "keyhold policy ls 'minio*'"],
  async run(ctx) {
    const client = await ctx.client()
    const names = await failedTo('list policies', () => collect(client.listPolicies(ctx.args[0] ?? '*')))
    if (ctx.out.json) ctx.out.printJson(names)
    else if (names.length > 0) ctx.out.printTable(['Policy'], names.map((n) => [n]))
  },
}

const info: Command = {
  name: 'info',
  summary: 'Describe a policy.',
  synopsis: '<name>',
  args: { min: 1, max: 1, missing: 'no policy name specified' },
  flags: [...CLIENT_FLAGS, JSON_FLAG],
  examples: ['keyhold policy info my-app'],
  async run(ctx) {
    const client = await ctx.client()
    const policy = await client.describePolicy(ctx.args[0]!)
    if (ctx.out.json) {
      ctx.out.printJson(policy)
      return
    }
    ctx.out.printFields([
      ['Name', policy.name],
      ['Created At', formatTime(policy.created_at)],
      ['Created By', policy.created_by],
    ])
  },
}

const show: Command = {
  name: 'show',
  summary: 'Show the allow and deny rules of a policy.',
  synopsis: '<name>',
  args: { min: 1, max: 1, missing: 'no policy name specified' },
  flags: [...CLIENT_FLAGS, JSON_FLAG],
  examples: ['keyhold policy show my-app'],
  async run(ctx) {
    const client = await ctx.client()
    const policy = await client.readPolicy(ctx.args[0]!)
    if (ctx.out.json) {
      ctx.out.printJson(policy)
      return
    }
    ctx.out.printFields([['Name', policy.name], ['Created At', formatTime(policy.created_at)]])
    for (const [label, set] of [['Allow', policy.allow], ['Deny', policy.deny]] as const) {
      const patterns = Object.keys(set ?? {})
      if (patterns.length > 0) ctx.out.print(`${label}\n${patterns.map((p) => `  · ${p}`).join('\n')}`)
    }
  },
}

/** The `keyhold policy` command group. */
export const policyGroup: Group = {
  name: 'policy',
  summary: 'Inspect policies.',
  commands: [ls, info, show],
}
