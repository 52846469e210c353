/**
 * `keyhold-s3 admin user svcacct add|rm|info|list|enable|disable|edit`, mirroring `mc admin user svcacct`.
 *
 * @module
 */
import { readFileSync } from 'node:fs'
import { type CliIo } from './alias.js'
import { adminCall, openSession, type AdminSession } from './admin-client.js'
import { parseExpiry, type AdminArgs } from './admin-args.js'
import { CliError, UsageError } from '../errors.js'
import { terminalBlock, terminalJson, terminalText } from '../../lib/terminal-text.js'

/** SVCACCT_USAGE is the usage text of `admin user svcacct`. */
export const SVCACCT_USAGE = `Usage: keyhold-s3 admin user svcacct COMMAND ALIAS [ARGS]
  add ALIAS USER [--access-key K] [--secret-key S] [--policy FILE] [--name N] [--description D] [--expiry T]
  rm ALIAS ACCESSKEY
  info ALIAS ACCESSKEY
  list ALIAS USER
  enable|disable ALIAS ACCESSKEY
  edit ALIAS ACCESSKEY [--secret-key S] [--policy FILE] [--name N] [--description D] [--expiry T]
`

interface Info { parentUser: string; accountStatus: string; impliedPolicy: boolean; policy?: string; name?: string; description?: string; expiration?: string }

const expiryText = (e: string | undefined): string => (!e || Date.parse(e) <= 0 ? 'no-expiry' : e)

/** Reads a policy file as JSON. Throws CliError when unreadable or not JSON. */
function policyFile(path: string): unknown {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (err) {
    throw new CliError(`keyhold-s3: <ERROR> Unable to read the policy file \`${path}\`: ${(err as Error).message}`)
  }
  try {
    return JSON.parse(text)
  } catch {
    throw new CliError(`keyhold-s3: <ERROR> The policy file \`${path}\` is not valid JSON.`)
  }
}

async function edit(s: AdminSession, key: string, body: Record<string, unknown>, what: string): Promise<void> {
  await adminCall(s, `Unable to ${what} service account`, 'POST', '/update-service-account', { query: [['accessKey', key]], enc: body })
}

/** svcacctCommand runs one `admin user svcacct` subcommand. Throws CliError for server errors and bad usage. */
export async function svcacctCommand(op: string, a: AdminArgs, io: CliIo): Promise<number> {
  const [aliasName = '', target = ''] = a.positional
  if (aliasName === '' || (target === '' && op !== 'list' && op !== 'ls')) throw new UsageError(SVCACCT_USAGE)
  const s = openSession(io.env, aliasName, a.insecure)
  const common = (): Record<string, unknown> => {
    const body: Record<string, unknown> = {}
    const policy = a.flag('policy')
    if (policy !== undefined) body.policy = policyFile(policy)
    if (a.flag('name') !== undefined) body.name = a.flag('name')
    if (a.flag('description') !== undefined) body.description = a.flag('description')
    const expiry = a.flag('expiry')
    if (expiry !== undefined) body.expiration = parseExpiry(expiry)
    return body
  }
  switch (op) {
    case 'add': {
      const body = { ...common(), targetUser: target, accessKey: a.flag('access-key') ?? '', secretKey: a.flag('secret-key') ?? '' }
      const res = await adminCall(s, 'Unable to add a new service account', 'PUT', '/add-service-account', { enc: body, decrypt: true }) as { credentials: { accessKey: string; secretKey: string; expiration?: string } }
      const c = res.credentials
      io.stdout(a.json ? terminalJson({ status: 'success', accessKey: c.accessKey, secretKey: c.secretKey, expiration: expiryText(c.expiration) }) + '\n'
        : terminalBlock([`Access Key: ${c.accessKey}`, `Secret Key: ${c.secretKey}`, `Expiration: ${expiryText(c.expiration)}`]))
      return 0
    }
    case 'rm':
    case 'remove':
      await adminCall(s, 'Unable to remove the service account', 'DELETE', '/delete-service-account', { query: [['accessKey', target]] })
      io.stdout(`Removed service account \`${target}\` successfully.\n`)
      return 0
    case 'enable':
    case 'disable':
      await edit(s, target, { newStatus: op === 'enable' ? 'on' : 'off' }, op)
      io.stdout(`${op === 'enable' ? 'Enabled' : 'Disabled'} service account \`${target}\` successfully.\n`)
      return 0
    case 'edit': {
      const c = common()
      const body: Record<string, unknown> = {}
      if (c.policy !== undefined) body.newPolicy = c.policy
      if (c.name !== undefined) body.newName = c.name
      if (c.description !== undefined) body.newDescription = c.description
      if (c.expiration !== undefined) body.newExpiration = c.expiration
      if (a.flag('secret-key') !== undefined) body.newSecretKey = a.flag('secret-key')
      if (Object.keys(body).length === 0) throw new CliError('keyhold-s3: <ERROR> Nothing to edit: give --secret-key, --policy, --name, --description or --expiry.')
      await edit(s, target, body, 'edit')
      io.stdout(`Edited service account \`${target}\` successfully.\n`)
      return 0
    }
    case 'info': {
      const i = await adminCall(s, 'Unable to get information of the specified service account', 'GET', '/info-service-account', { query: [['accessKey', target]], decrypt: true }) as Info
      if (a.json) io.stdout(terminalJson({ status: 'success', accessKey: target, ...i }) + '\n')
      else {
        // The server's text, one field per line: each line escaped.
        io.stdout(terminalBlock([`AccessKey: ${target}`, `ParentUser: ${i.parentUser}`, `Status: ${i.accountStatus}`, `Name: ${i.name ?? ''}`,
          `Description: ${i.description ?? ''}`, `Policy: ${i.impliedPolicy ? 'implied' : 'embedded'}`, `Expiration: ${expiryText(i.expiration)}`]))
      }
      return 0
    }
    case 'list':
    case 'ls': {
      const query: Array<[string, string]> = target === '' ? [] : [['user', target]]
      const res = await adminCall(s, 'Unable to list service accounts', 'GET', '/list-service-accounts', { query, decrypt: true }) as { accounts: Array<{ accessKey: string; expiration?: string } | string> }
      for (const acc of res.accounts) {
        const key = typeof acc === 'string' ? acc : acc.accessKey
        const exp = typeof acc === 'string' ? undefined : acc.expiration
        io.stdout(a.json ? terminalJson({ status: 'success', accessKey: key, expiration: expiryText(exp) }) + '\n' : terminalText(`${key.padEnd(20)} ${expiryText(exp)}`) + '\n')
      }
      return 0
    }
    default:
      throw new UsageError(SVCACCT_USAGE)
  }
}
