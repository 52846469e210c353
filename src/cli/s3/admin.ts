/**
 * `keyhold-s3 admin`: `user`, `user svcacct`, `group` and `policy` mirror `mc admin`; `kms` is
 * served by admin-kms.ts.
 *
 * @module
 */
import { CliError, type CliIo } from './alias.js'
import { parseAdminArgs } from './admin-args.js'
import { GROUP_USAGE, groupCommand } from './admin-group.js'
import { POLICY_USAGE, policyCommand } from './admin-policy.js'
import { SVCACCT_USAGE, svcacctCommand } from './admin-svcacct.js'
import { USER_USAGE, userCommand } from './admin-user.js'

const USAGE = `Usage: keyhold-s3 admin (user|group|policy|kms|info|prometheus) COMMAND ALIAS [ARGS] [--insecure] [--json]

${USER_USAGE}
${SVCACCT_USAGE}
${GROUP_USAGE}
${POLICY_USAGE}
  kms key status ALIAS [KEY]
  info ALIAS [--json]
  prometheus generate ALIAS [cluster|node]
`

/** adminCommand runs `keyhold-s3 admin ...` and returns the exit code (1 on errors, 2 on usage errors). */
export async function adminCommand(args: string[], io: CliIo): Promise<number> {
  const [area, op = '', ...rest] = args
  if (area === 'kms') return (await import('./admin-kms.js')).adminKmsCommand(args, io)
  if ((area === 'info' || area === 'prometheus') && op !== '--help' && op !== '-h' && op !== '') {
    try {
      const m = await import('./admin-info.js')
      return area === 'info' ? await m.adminInfoCommand(args.slice(1), io) : m.adminPrometheusCommand(args.slice(1), io)
    } catch (err) {
      io.stderr(`${(err as Error).message}\n`)
      return 1
    }
  }
  if (area === undefined || area === '--help' || area === '-h' || op === '--help' || op === '-h' || op === '') {
    const text = area === 'user' ? USER_USAGE : area === 'group' ? GROUP_USAGE : area === 'policy' ? POLICY_USAGE : USAGE
    if (area === undefined || op === '') {
      io.stderr(text)
      return 2
    }
    io.stdout(text)
    return 0
  }
  try {
    if (area === 'user' && op === 'svcacct') {
      const [svcOp = '', ...svcRest] = rest
      if (svcOp === '' || svcOp === '--help') {
        io.stdout(SVCACCT_USAGE)
        return svcOp === '' ? 2 : 0
      }
      return await svcacctCommand(svcOp, parseAdminArgs(svcRest), io)
    }
    if (area === 'user') return await userCommand(op, parseAdminArgs(rest), io)
    if (area === 'group') return await groupCommand(op, parseAdminArgs(rest), io)
    if (area === 'policy') return await policyCommand(op, parseAdminArgs(rest), io)
    io.stderr(USAGE)
    return 2
  } catch (err) {
    if (err instanceof CliError) {
      io.stderr(`${err.message}\n`)
      return 1
    }
    io.stderr(`keyhold-s3: <ERROR> ${(err as Error).message}\n`)
    return 1
  }
}
