/**
 * `keyhold key state|disable|enable|restore`: key states and safe deletion (Keyhold extensions,
 * docs/operations.md "Key states and safe deletion"), and `keyhold policy explain`.
 *
 * @module
 */
import { CLIENT_FLAGS, JSON_FLAG, type Command } from '../args.js'
import { UsageError } from '../errors.js'
import { formatTime } from '../output.js'
import { failedTo } from './common.js'
import { printRecord } from './listing.js'

/** `keyhold key state <name>`. */
export const stateCommand: Command = {
  name: 'state',
  summary: 'Show whether a master key is enabled, disabled or scheduled for deletion.',
  synopsis: '<name>',
  args: { min: 1, max: 1, missing: 'no key name specified' },
  flags: [...CLIENT_FLAGS, JSON_FLAG],
  examples: ['keyhold key state my-key'],
  async run(ctx) {
    const name = ctx.args[0]!
    const client = await ctx.client()
    const s = await failedTo(`read the state of key "${name}"`, () => client.keyState(name))
    printRecord(ctx.out, s, [
      ['Name', s.name],
      ['State', s.state === 'scheduled' ? 'scheduled for deletion' : s.state],
      ['Decrypt', s.decrypt ? 'allowed' : 'refused'],
      ['Delete At', s.delete_at === undefined ? undefined : formatTime(s.delete_at)],
      ['Changed At', s.changed_at === undefined ? undefined : formatTime(s.changed_at)],
      ['Changed By', s.changed_by],
    ])
  },
}

/** `keyhold key disable <name>...`. */
export const disableCommand: Command = {
  name: 'disable',
  summary: 'Disable master keys: generate, encrypt and HMAC are refused.',
  synopsis: '<name>...',
  args: { min: 1, max: Infinity, missing: 'no key name specified' },
  flags: [...CLIENT_FLAGS, { long: 'no-decrypt', kind: 'boolean', help: 'Refuse decrypt too (default: decrypt keeps working).' }],
  details: "A disabled key answers 409 'key is disabled' to what it refuses. 'keyhold key enable' undoes it.",
  examples: ['keyhold key disable my-key', 'keyhold key disable --no-decrypt my-key'],
  async run(ctx) {
    const client = await ctx.client()
    const decrypt = ctx.flags['no-decrypt'] !== true
    for (const name of ctx.args) await failedTo(`disable key "${name}"`, () => client.disableKey(name, { decrypt }))
  },
}

/** `keyhold key enable <name>...`. */
export const enableCommand: Command = {
  name: 'enable',
  summary: 'Enable disabled master keys.',
  synopsis: '<name>...',
  args: { min: 1, max: Infinity, missing: 'no key name specified' },
  flags: [...CLIENT_FLAGS],
  examples: ['keyhold key enable my-key'],
  async run(ctx) {
    const client = await ctx.client()
    for (const name of ctx.args) await failedTo(`enable key "${name}"`, () => client.enableKey(name))
  },
}

/** `keyhold key restore <name>...`. */
export const restoreCommand: Command = {
  name: 'restore',
  summary: 'Cancel the scheduled deletion of master keys.',
  synopsis: '<name>...',
  args: { min: 1, max: Infinity, missing: 'no key name specified' },
  flags: [...CLIENT_FLAGS],
  details:
    "With key_deletion.wait set in the server's config, 'keyhold key rm' schedules a deletion instead of deleting. " +
    'Until the wait is over, restore makes the key usable again, in the state it had: a key disabled before ' +
    'its deletion stays disabled. After the wait, the key is gone for good.',
  examples: ['keyhold key rm my-key', 'keyhold key restore my-key'],
  async run(ctx) {
    const client = await ctx.client()
    for (const name of ctx.args) await failedTo(`restore key "${name}"`, () => client.restoreKey(name))
  },
}

const METHODS = ['GET', 'PUT', 'POST', 'DELETE', 'HEAD']

/** `keyhold policy explain <identity> <method> <path>`. */
export const explainCommand: Command = {
  name: 'explain',
  summary: 'Explain whether the server allows a request of an identity, and why.',
  synopsis: '<identity> <method> <path>',
  args: { min: 3, max: 3, missing: 'no identity, method or path specified' },
  flags: [...CLIENT_FLAGS, JSON_FLAG],
  details:
    'Shows the route the path reaches, the policy of the identity, the allow and deny patterns that match ' +
    'the path, and the decision, exactly as the server decides it. The path is written as in a request, ' +
    'unencoded. Callers other than the admin need /v1/policy/explain/<identity>, ' +
    '/v1/identity/describe/<identity> and /v1/policy/read/<policy> allowed.',
  examples: ['keyhold policy explain 3ecfcdf38fcbe141ae26a1030f81e96b753365a46760ae6b578698a97c59fd22 PUT /v1/key/create/my-key'],
  async run(ctx) {
    const [identity, rawMethod, path] = ctx.args as [string, string, string]
    const method = rawMethod.toUpperCase()
    if (!METHODS.includes(method)) throw new UsageError(`invalid method '${rawMethod}': use one of ${METHODS.join(', ')}`)
    if (!path.startsWith('/')) throw new UsageError(`invalid path '${path}': it must start with '/'`)
    const client = await ctx.client()
    const e = await failedTo('explain the request', () => client.explainPolicy(identity, method, path))
    printRecord(ctx.out, e, [
      ['Decision', e.allowed ? `allowed (${e.decision})` : `refused with ${e.status ?? '?'} (${e.decision})`],
      ['Reason', e.reason],
      ['Route', e.route === undefined ? undefined : `${e.route} (auth: ${e.auth ?? '?'})`],
      ['Policy', e.policy],
      ['Allow Matched', e.allow === undefined ? undefined : e.allow.join(', ') || '(none)'],
      ['Deny Matched', e.deny === undefined ? undefined : e.deny.join(', ') || '(none)'],
    ])
  },
}
