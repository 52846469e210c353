/**
 * `keyhold log [--audit|--error]`: follow the server's audit or error log until interrupted.
 *
 * @module
 */
import type { AuditEvent, ErrorEvent } from '../../kes-client/index.js'
import { CLIENT_FLAGS, JSON_FLAG, type Command } from '../args.js'
import { UsageError } from '../errors.js'
import { formatTime } from '../output.js'
import { terminalText } from '../../lib/terminal-text.js'

/** The `keyhold log` command. */
export const logCommand: Command = {
  name: 'log',
  summary: 'Follow the audit log (default) or the error log of a server.',
  synopsis: '',
  args: { min: 0, max: 0 },
  flags: [
    ...CLIENT_FLAGS,
    { long: 'audit', kind: 'boolean', help: 'Follow the audit log. (default)' },
    { long: 'error', kind: 'boolean', help: 'Follow the error log.' },
    JSON_FLAG,
  ],
  details: 'Runs until interrupted (Ctrl-C). JSON output is the server’s events, one per line.',
  examples: ['keyhold log', 'keyhold log --error', 'keyhold log --json | jq .'],
  async run(ctx) {
    if (ctx.flags.audit === true && ctx.flags.error === true) throw new UsageError("'--audit' and '--error' are mutually exclusive")
    const client = await ctx.client()
    if (ctx.flags.error === true) {
      for await (const event of client.errorLog(ctx.signal)) {
        if (ctx.out.json) ctx.out.printJson(event)
        else ctx.out.print(formatError(event))
      }
      return
    }
    for await (const event of client.auditLog(ctx.signal)) {
      if (ctx.out.json) ctx.out.printJson(event)
      else ctx.out.print(formatAudit(event))
    }
  },
}

/**
 * formatAudit renders one audit event as a terminal line, escaped as a whole (terminalText): the
 * path is whatever any client asked for, decoded, so it can hold ESC sequences, and the other
 * fields come from the server. Throws nothing.
 */
export function formatAudit(e: AuditEvent): string {
  const identity = e.request.identity === undefined || e.request.identity === '' ? '-' : e.request.identity.slice(0, 12) + '…'
  const time = typeof e.response.time === 'number' ? `  (${e.response.time})` : ''
  const when = (formatTime(e.time) ?? '-').padEnd(19)
  return terminalText(`${when}  ${String(e.response.code).padEnd(3)}  ${identity.padEnd(13)}  ${(e.request.ip ?? '-').padEnd(15)}  ${e.request.path}${time}`)
}

/** formatError renders one error log event as a terminal line, its control characters escaped. Throws nothing. */
function formatError(e: ErrorEvent): string {
  // A server's error line may end in a newline of its own: that one ends the line, it is not shown as `\n`.
  return typeof e.message === 'string' ? terminalText(e.message.replace(/\r?\n$/, '')) : terminalText(JSON.stringify(e))
}
