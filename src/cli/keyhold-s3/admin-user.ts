/**
 * `keyhold-s3 admin user add|remove|enable|disable|list|info ALIAS ...`, mirroring `mc admin user`.
 *
 * @module
 */
import { type CliIo } from './alias.js'
import { UsageError } from '../errors.js'
import { terminalBlock, terminalJson, terminalText } from '../../lib/terminal-text.js'
import { adminCall, openSession } from './admin-client.js'
import type { AdminArgs } from './admin-args.js'
import { readSecret } from './admin-prompt.js'

interface UserInfo { policyName?: string; status: string; memberOf?: string[] }

/** USER_USAGE is the usage text of `admin user`. */
export const USER_USAGE = `Usage: keyhold-s3 admin user COMMAND ALIAS [ARGS]
  add ALIAS ACCESSKEY [SECRETKEY]     add a user (prompts for the secret when not given)
  remove ALIAS ACCESSKEY              remove a user
  enable|disable ALIAS ACCESSKEY      enable or disable a user
  list ALIAS                          list users
  info ALIAS ACCESSKEY                show a user
  svcacct ...                         manage service accounts (admin user svcacct --help)
`

/** userCommand runs one `admin user` subcommand. Throws CliError for server errors and bad usage. */
export async function userCommand(op: string, a: AdminArgs, io: CliIo): Promise<number> {
  const [aliasName = '', user = '', secretArg] = a.positional
  const need = (n: number): void => {
    if (a.positional.length < n || aliasName === '') throw new UsageError(USER_USAGE)
  }
  const s = (): ReturnType<typeof openSession> => openSession(io.env, aliasName, a.insecure)
  switch (op) {
    case 'add': {
      need(2)
      const secretKey = secretArg ?? await readSecret('Enter Secret Key: ')
      await adminCall(s(), 'Unable to add new user', 'PUT', '/add-user', { query: [['accessKey', user]], enc: { secretKey, status: 'enabled' } })
      io.stdout(a.json ? terminalJson({ status: 'success', accessKey: user, userStatus: 'enabled' }) + '\n' : `Added user \`${user}\` successfully.\n`)
      return 0
    }
    case 'remove':
    case 'rm':
      need(2)
      await adminCall(s(), 'Unable to remove user', 'DELETE', '/remove-user', { query: [['accessKey', user]] })
      io.stdout(`Removed user \`${user}\` successfully.\n`)
      return 0
    case 'enable':
    case 'disable': {
      need(2)
      const status = op === 'enable' ? 'enabled' : 'disabled'
      await adminCall(s(), `Unable to ${op} user`, 'PUT', '/set-user-status', { query: [['accessKey', user], ['status', status]] })
      io.stdout(`${op === 'enable' ? 'Enabled' : 'Disabled'} user \`${user}\` successfully.\n`)
      return 0
    }
    case 'list':
    case 'ls': {
      need(1)
      const users = await adminCall(s(), 'Unable to list user', 'GET', '/list-users', { decrypt: true }) as Record<string, UserInfo>
      for (const [name, u] of Object.entries(users).sort(([x], [y]) => x.localeCompare(y))) {
        // The server's text: each line escaped.
        io.stdout(a.json ? terminalJson({ status: 'success', accessKey: name, policyName: u.policyName ?? '', userStatus: u.status, memberOf: u.memberOf ?? [] }) + '\n'
          : terminalText(`${String(u.status).padEnd(9)} ${name.padEnd(20)} ${u.policyName ?? ''}`) + '\n')
      }
      return 0
    }
    case 'info': {
      need(2)
      const u = await adminCall(s(), 'Unable to get user info', 'GET', '/user-info', { query: [['accessKey', user]] }) as UserInfo
      if (a.json) io.stdout(terminalJson({ status: 'success', accessKey: user, policyName: u.policyName ?? '', userStatus: u.status, memberOf: u.memberOf ?? [] }) + '\n')
      else io.stdout(terminalBlock([`AccessKey: ${user}`, `Status: ${u.status}`, `PolicyName: ${u.policyName ?? ''}`, `MemberOf: [${(u.memberOf ?? []).join(' ')}]`]))
      return 0
    }
    default:
      throw new UsageError(USER_USAGE)
  }
}
