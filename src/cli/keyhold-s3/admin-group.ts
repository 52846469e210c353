/**
 * `keyhold-s3 admin group add|remove|info|list|enable|disable`, mirroring `mc admin group`.
 *
 * @module
 */
import { type CliIo } from './alias.js'
import { UsageError } from '../errors.js'
import { terminalBlock, terminalJson, terminalText } from '../../lib/terminal-text.js'
import { adminCall, openSession } from './admin-client.js'
import type { AdminArgs } from './admin-args.js'

/** GROUP_USAGE is the usage text of `admin group`. */
export const GROUP_USAGE = `Usage: keyhold-s3 admin group COMMAND ALIAS [ARGS]
  add ALIAS GROUP MEMBER...           add users to a group (creates it)
  remove ALIAS GROUP [MEMBER...]      remove users, or the (empty) group itself
  info ALIAS GROUP                    show a group
  list ALIAS                          list groups
  enable|disable ALIAS GROUP          enable or disable a group
`

/** groupCommand runs one `admin group` subcommand. Throws CliError for server errors and bad usage. */
export async function groupCommand(op: string, a: AdminArgs, io: CliIo): Promise<number> {
  const [aliasName = '', group = '', ...members] = a.positional
  if (aliasName === '' || (group === '' && op !== 'list' && op !== 'ls')) throw new UsageError(GROUP_USAGE)
  const s = openSession(io.env, aliasName, a.insecure)
  switch (op) {
    case 'add':
      if (members.length === 0) throw new UsageError(GROUP_USAGE)
      await adminCall(s, 'Unable to add new group', 'PUT', '/update-group-members', { plain: Buffer.from(JSON.stringify({ group, members, isRemove: false })) })
      io.stdout(`Added members \`${members.join(',')}\` to group \`${group}\` successfully.\n`)
      return 0
    case 'remove':
    case 'rm':
      await adminCall(s, 'Could not perform remove operation', 'PUT', '/update-group-members', { plain: Buffer.from(JSON.stringify({ group, members, isRemove: true })) })
      io.stdout(members.length ? `Removed members \`${members.join(',')}\` from group \`${group}\` successfully.\n` : `Removed group \`${group}\` successfully.\n`)
      return 0
    case 'info': {
      const g = await adminCall(s, 'Unable to fetch group info', 'GET', '/group', { query: [['group', group]] }) as { name: string; status: string; members?: string[]; policy?: string }
      if (a.json) io.stdout(terminalJson({ status: 'success', groupName: g.name, groupStatus: g.status, members: g.members ?? [], groupPolicy: g.policy ?? '' }) + '\n')
      // The server's text, one field per line: each line escaped.
      else io.stdout(terminalBlock([`Group: ${g.name}`, `Status: ${g.status}`, `Policy: ${g.policy ?? ''}`, `Members: ${(g.members ?? []).join(',')}`]))
      return 0
    }
    case 'list':
    case 'ls': {
      const groups = await adminCall(s, 'Unable to list groups', 'GET', '/groups') as string[] | null
      for (const g of groups ?? []) io.stdout(a.json ? terminalJson({ status: 'success', groupName: g }) + '\n' : terminalText(g) + '\n')
      return 0
    }
    case 'enable':
    case 'disable':
      await adminCall(s, `Unable to ${op} group`, 'PUT', '/set-group-status', { query: [['group', group], ['status', op === 'enable' ? 'enabled' : 'disabled']] })
      io.stdout(`${op === 'enable' ? 'Enabled' : 'Disabled'} group \`${group}\` successfully.\n`)
      return 0
    default:
      throw new UsageError(GROUP_USAGE)
  }
}
