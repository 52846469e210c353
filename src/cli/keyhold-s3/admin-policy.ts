/**
 * `keyhold-s3 admin policy create|info|list|remove|attach|detach`, mirroring `mc admin policy`.
 *
 * @module
 */
import { readFileSync } from 'node:fs'
import { type CliIo } from './alias.js'
import { CliError, UsageError } from '../errors.js'
import { terminalBlock, terminalJson, terminalText } from '../../lib/terminal-text.js'
import { adminCall, openSession } from './admin-client.js'
import type { AdminArgs } from './admin-args.js'

/** POLICY_USAGE is the usage text of `admin policy`. */
export const POLICY_USAGE = `Usage: keyhold-s3 admin policy COMMAND ALIAS [ARGS]
  create ALIAS NAME FILE                              create (or replace) a policy from a JSON file
  info ALIAS NAME                                     show a policy
  list ALIAS                                          list policies
  remove ALIAS NAME                                   remove a policy
  attach ALIAS POLICY... --user USER | --group GROUP  attach policies
  detach ALIAS POLICY... --user USER | --group GROUP  detach policies
`

/** policyCommand runs one `admin policy` subcommand. Throws CliError for server errors and bad usage. */
export async function policyCommand(op: string, a: AdminArgs, io: CliIo): Promise<number> {
  const [aliasName = '', name = '', file] = a.positional
  if (aliasName === '' || (name === '' && op !== 'list' && op !== 'ls')) throw new UsageError(POLICY_USAGE)
  const s = openSession(io.env, aliasName, a.insecure)
  switch (op) {
    case 'create':
    case 'add': {
      if (file === undefined) throw new UsageError(POLICY_USAGE)
      let body: Buffer
      try {
        body = readFileSync(file)
      } catch (err) {
        throw new CliError(`keyhold-s3: <ERROR> Unable to read the policy file \`${file}\`: ${(err as Error).message}`)
      }
      await adminCall(s, 'Unable to create new policy', 'PUT', '/add-canned-policy', { query: [['name', name]], plain: body })
      io.stdout(`Created policy \`${name}\` successfully.\n`)
      return 0
    }
    case 'info': {
      const doc = await adminCall(s, 'Unable to fetch policy info', 'GET', '/info-canned-policy', { query: [['name', name]] })
      // The policy document is the server's: JSON escapes its controls, terminalJson the C1 and bidi ones too.
      io.stdout(a.json ? terminalJson({ status: 'success', policy: name, policyJSON: doc }) + '\n' : terminalJson(doc, 1) + '\n')
      return 0
    }
    case 'list':
    case 'ls': {
      const all = await adminCall(s, 'Unable to list policy', 'GET', '/list-canned-policies') as Record<string, unknown>
      for (const n of Object.keys(all).sort()) io.stdout(a.json ? terminalJson({ status: 'success', policy: n }) + '\n' : terminalText(n) + '\n')
      return 0
    }
    case 'remove':
    case 'rm':
      await adminCall(s, 'Unable to remove policy', 'DELETE', '/remove-canned-policy', { query: [['name', name]] })
      io.stdout(`Removed policy \`${name}\` successfully.\n`)
      return 0
    case 'attach':
    case 'detach': {
      const user = a.flag('user')
      const group = a.flag('group')
      if ((user === undefined) === (group === undefined)) throw new CliError('keyhold-s3: <ERROR> Give exactly one of --user or --group.')
      const policies = a.positional.slice(1)
      const target = user !== undefined ? { user } : { group }
      const res = await adminCall(s, `Unable to ${op} policy`, 'POST', `/idp/builtin/policy/${op}`, { enc: { policies, ...target }, decrypt: true }) as
        { policiesAttached?: string[]; policiesDetached?: string[] } | undefined
      const changed = (op === 'attach' ? res?.policiesAttached : res?.policiesDetached) ?? policies
      const who = user !== undefined ? `User: ${user}` : `Group: ${group ?? ''}`
      io.stdout(terminalBlock([`${op === 'attach' ? 'Attached' : 'Detached'} Policies: [${changed.join(' ')}]`, `${op === 'attach' ? 'To' : 'From'} ${who}`]))
      return 0
    }
    default:
      throw new UsageError(POLICY_USAGE)
  }
}
