/**
 * `keyhold metric [--rate 5s]`: the server's Prometheus metrics, summarised; with --rate, again
 * every interval with request rates, until interrupted.
 *
 * @module
 */
import { CLIENT_FLAGS, JSON_FLAG, parseDurationFlag, type Command } from '../args.js'
import { formatBytes, formatDuration } from '../output.js'

/** parsePrometheus reads the text exposition into `name{labels}` → value, skipping comments. */
function parsePrometheus(text: string): Map<string, number> {
  const samples = new Map<string, number>()
  for (const raw of text.split('\n')) {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) continue
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{.*\})?)\s+(\S+)/.exec(line)
    if (m !== null) samples.set(m[1]!, Number(m[2]))
  }
  return samples
}

/** sum adds every sample of a metric family, whatever its labels. */
function sum(samples: Map<string, number>, name: string): number {
  let total = 0
  for (const [key, value] of samples) if ((key === name || key.startsWith(name + '{')) && Number.isFinite(value)) total += value
  return total
}

interface Summary {
  success: number
  error: number
  failure: number
  active: number
  avgResponseMs: number | undefined
  auditEvents: number
  errorEvents: number
  upTime: number
  heap: number
}

function summarise(samples: Map<string, number>): Summary {
  const count = sum(samples, 'kes_http_response_time_count')
  return {
    success: sum(samples, 'kes_http_request_success'),
    error: sum(samples, 'kes_http_request_error'),
    failure: sum(samples, 'kes_http_request_failure'),
    active: sum(samples, 'kes_http_request_active'),
    avgResponseMs: count > 0 ? (sum(samples, 'kes_http_response_time_sum') / count) * 1000 : undefined,
    auditEvents: sum(samples, 'kes_log_audit_events'),
    errorEvents: sum(samples, 'kes_log_error_events'),
    upTime: sum(samples, 'kes_system_up_time'),
    heap: sum(samples, 'kes_system_mem_heap_used'),
  }
}

/** The `keyhold metric` command. */
export const metricCommand: Command = {
  name: 'metric',
  summary: 'Print server metrics.',
  synopsis: '',
  args: { min: 0, max: 0 },
  flags: [...CLIENT_FLAGS, { long: 'rate', kind: 'string', arg: 'DURATION', help: 'Print again every DURATION (e.g. 5s) until interrupted.' }, JSON_FLAG],
  details: 'JSON output is one object per scrape: every sample by its name and labels.',
  examples: ['keyhold metric', 'keyhold metric --rate 5s'],
  async run(ctx) {
    const rateMs = ctx.flags.rate === undefined ? undefined : parseDurationFlag(ctx.flags.rate as string, 'rate')
    const client = await ctx.client()
    let previous: Summary | undefined
    for (;;) {
      const samples = parsePrometheus(await client.metrics())
      const summary = summarise(samples)
      if (ctx.out.json) ctx.out.printJson(Object.fromEntries(samples))
      else print(ctx, summary, previous, rateMs)
      previous = summary
      if (rateMs === undefined || !(await sleep(rateMs, ctx.signal))) return
    }
  },
}

function print(ctx: Parameters<Command['run']>[0], s: Summary, prev: Summary | undefined, rateMs: number | undefined): void {
  const total = s.success + s.error + s.failure
  const rate = prev === undefined || rateMs === undefined ? undefined : ((total - prev.success - prev.error - prev.failure) * 1000) / rateMs
  if (prev !== undefined) ctx.out.print()
  ctx.out.printFields([
    ['Requests', `${total} (${s.success} success, ${s.error} error, ${s.failure} failure)`],
    ['Rate', rate === undefined ? undefined : `${rate.toFixed(1)} req/s`],
    ['Active', String(s.active)],
    ['Latency', s.avgResponseMs === undefined ? undefined : `${s.avgResponseMs.toFixed(2)} ms average`],
    ['Events', `${s.auditEvents} audit, ${s.errorEvents} error`],
    ['Uptime', formatDuration(s.upTime)],
    ['Heap', formatBytes(s.heap)],
  ])
}

/** sleep waits `ms`; resolves false when `signal` aborted first. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false)
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve(true)
    }, ms)
    const onAbort = (): void => {
      clearTimeout(timer)
      resolve(false)
    }
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
