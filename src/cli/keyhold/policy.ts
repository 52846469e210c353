/**
 * `keyhold policy ls|info|show`: the server's policies (defined in its configuration).
 *
 * @module
 */
import { CLIENT_FLAGS, JSON_FLAG, type Command, type Group } from '../args.js'
import { formatTime } from '../output.js'
import { listCommand, printRecord } from './listing.js'
import { explainCommand } from './key-state.js'

const ls = listCommand({
  summary: 'List policies.',
  examples: ['keyhold policy ls', "keyhold policy ls 'minio*'"],
  header: 'Policy',
  what: 'policies',
  list: (client, pattern) => client.listPolicies(pattern),
})

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
    printRecord(ctx.out, policy, [
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
    printRecord(ctx.out, policy, [['Name', policy.name], ['Created At', formatTime(policy.created_at)]], policy)
  },
}

/** The `keyhold policy` command group. */
export const policyGroup: Group = {
  name: 'policy',
  summary: 'Inspect policies.',
  commands: [ls, info, show, explainCommand],
}
