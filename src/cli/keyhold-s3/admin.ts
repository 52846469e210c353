/**
 * `keyhold-s3 admin`: `user`, `user svcacct`, `group` and `policy` mirror `mc admin`; `kms` is
 * served by admin-kms.ts.
 *
 * @module
 */
import { wantsHelp, type CliIo } from './alias.js'
import { KMS_USAGE, adminKmsCommand } from './admin-kms.js'
import { parseAdminArgs } from './admin-args.js'
import { GROUP_USAGE, groupCommand } from './admin-group.js'
import { POLICY_USAGE, policyCommand } from './admin-policy.js'
import { SVCACCT_USAGE, svcacctCommand } from './admin-svcacct.js'
import { USER_USAGE, userCommand } from './admin-user.js'
import { CliError, UsageError } from '../errors.js'
import { terminalText } from '../../lib/terminal-text.js'

const INFO_USAGE = `  info ALIAS [--json]
  prometheus generate ALIAS [cluster|node]
`

const USAGE = `Usage: keyhold-s3 admin (user|group|policy|kms|info|prometheus) COMMAND ALIAS [ARGS] [--insecure] [--json]

${USER_USAGE}
${SVCACCT_USAGE}
${GROUP_USAGE}
${POLICY_USAGE}
${KMS_USAGE}
${INFO_USAGE}`

/** The usage text for `admin AREA OP`: the most specific one there is. */
function usageFor(area: string | undefined, op: string): string {
  if (area === 'user') return op === 'svcacct' ? SVCACCT_USAGE : USER_USAGE
  if (area === 'group') return GROUP_USAGE
  if (area === 'policy') return POLICY_USAGE
  if (area === 'kms') return KMS_USAGE
  if (area === 'info' || area === 'prometheus') return INFO_USAGE
  return USAGE
}

/**
 * adminCommand runs `keyhold-s3 admin ...` and returns the exit code: 0 (and the usage on stdout) for
 * `--help`/`-h` anywhere, 2 (the usage on stderr) for usage errors, 1 on other errors.
 */
export async function adminCommand(args: string[], io: CliIo): Promise<number> {
  const [area, op = '', ...rest] = args
  if (wantsHelp(args)) {
    io.stdout(usageFor(area, op))
    return 0
  }
  if (area === 'kms') return adminKmsCommand(args, io)
  if ((area === 'info' || area === 'prometheus') && op !== '') {
    try {
      const m = await import('./admin-info.js')
      return area === 'info' ? await m.adminInfoCommand(args.slice(1), io) : m.adminPrometheusCommand(args.slice(1), io)
    } catch (err) {
      io.stderr(`${terminalText((err as Error).message)}\n`)
      return 1
    }
  }
  if (area === undefined || op === '') {
    io.stderr(usageFor(area, op))
    return 2
  }
  try {
    if (area === 'user' && op === 'svcacct') {
      const [svcOp = '', ...svcRest] = rest
      if (svcOp === '') {
        io.stderr(SVCACCT_USAGE)
        return 2
      }
      return await svcacctCommand(svcOp, parseAdminArgs(svcRest), io)
    }
    if (area === 'user') return await userCommand(op, parseAdminArgs(rest), io)
    if (area === 'group') return await groupCommand(op, parseAdminArgs(rest), io)
    if (area === 'policy') return await policyCommand(op, parseAdminArgs(rest), io)
    io.stderr(USAGE)
    return 2
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(err.message)
      return 2
    }
    if (err instanceof CliError) {
      io.stderr(`${terminalText(err.message)}\n`)
      return 1
    }
    io.stderr(`keyhold-s3: <ERROR> ${terminalText((err as Error).message)}\n`)
    return 1
  }
}
