/**
 * `keyhold status [--short] [--api]`: the state of every configured server, one by one (no
 * failover: the point is to see each).
 *
 * @module
 */
import { parseEndpoint, type ApiDescription, type StatusResponse } from '../../kes-client/index.js'
import { CLIENT_FLAGS, JSON_FLAG, type Command } from '../args.js'
import { CliError } from '../errors.js'
import { formatBytes, formatDuration } from '../output.js'
import { terminalText } from '../../lib/terminal-text.js'

interface EndpointState {
  endpoint: string
  status?: StatusResponse
  apis?: ApiDescription[]
  error?: string
}

/** The `keyhold status` command. */
export const statusCommand: Command = {
  name: 'status',
  summary: 'Print the state of the server(s).',
  synopsis: '',
  args: { min: 0, max: 0 },
  flags: [
    // KES spelled --short as -s here but -s is --server on `kes ls`; in Keyhold -s is --server on every command.
    ...CLIENT_FLAGS,
    { long: 'short', kind: 'boolean', help: 'One line per server. (KES: -s; here -s is --server, as on every command.)' },
    { long: 'api', kind: 'boolean', help: 'Also list the API routes of each server.' },
    JSON_FLAG,
  ],
  details: 'JSON output is one line per server: {"endpoint", ...status, "apis"?, "error"?}. Exits 1 when a server does not answer.',
  examples: ['keyhold status', 'keyhold status --short', 'keyhold status --api'],
  async run(ctx) {
    const states = await Promise.all(
      ctx.servers.map(async (server): Promise<EndpointState> => {
        let endpoint = server
        try {
          endpoint = parseEndpoint(server).url
          const client = await ctx.client([server])
          const status = await client.status()
          return ctx.flags.api === true ? { endpoint, status, apis: await client.apis() } : { endpoint, status }
        } catch (err) {
          return { endpoint, error: (err as Error).message }
        }
      }),
    )
    states.forEach((s, i) => print(ctx, s, i))
    const failed = states.filter((s) => s.error !== undefined)
    // What failed is on the screen already (the status table): exit 1 without printing it again.
    if (failed.length > 0) throw new CliError(failed.map((s) => `${s.endpoint}: ${s.error ?? ''}`).join('; '), { shown: true })
  },
}

function keystore(s: StatusResponse): string {
  if (s.keystore_unreachable === true) return 'unreachable'
  if (s.keystore_unavailable === true) return 'unavailable'
  return s.keystore_latency === undefined ? 'reachable' : `reachable (${s.keystore_latency} ms)`
}

function print(ctx: Parameters<Command['run']>[0], state: EndpointState, index: number): void {
  const { endpoint, status, apis, error } = state
  if (ctx.out.json) {
    ctx.out.printJson({ endpoint, ...status, ...(apis === undefined ? {} : { apis }), ...(error === undefined ? {} : { error }) })
    return
  }
  if (ctx.flags.short === true) {
    // One line of the server's text (its error, version, latency: a number only if the server says so),
    // escaped as a whole; printFields below escapes its values itself.
    ctx.out.print(
      terminalText(
        status === undefined
          ? `${endpoint}  offline  ${error ?? ''}`
          : `${endpoint}  online  ${status.version}  up ${formatDuration(status.uptime)}  keystore ${keystore(status)}`,
      ),
    )
    return
  }
  if (index > 0) ctx.out.print()
  if (status === undefined) {
    ctx.out.printFields([['Endpoint', endpoint], ['State', 'offline'], ['Error', error]])
    return
  }
  ctx.out.printFields([
    ['Endpoint', endpoint],
    ['State', 'online'],
    ['Version', status.version],
    ['Uptime', formatDuration(status.uptime)],
    ['Runtime', `${status.os}/${status.arch}, ${status.num_cpu_used} of ${status.num_cpu} CPUs`],
    ['Memory', `heap ${formatBytes(status.mem_heap_used)}, stack ${formatBytes(status.mem_stack_used)}`],
    ['Keystore', keystore(status)],
  ])
  if (apis !== undefined) {
    ctx.out.print()
    ctx.out.printTable(
      ['Method', 'Path', 'Max body', 'Timeout'],
      apis.map((a) => [a.method, a.path, a.max_body === 0 ? '-' : a.max_body % 1_000_000 === 0 ? `${a.max_body / 1_000_000} MB` : formatBytes(a.max_body), a.timeout === 0 ? '-' : `${a.timeout}s`]),
    )
  }
}

