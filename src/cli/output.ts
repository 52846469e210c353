/**
 * Output of the `keyhold` CLI: readable text on a terminal, JSON when piped or asked for, so the
 * same command serves a person and a script.
 *
 * Table cells and field values are the server's text: {@link Output.printTable} and
 * {@link Output.printFields} escape their control characters (terminal-text.ts). Text given to
 * {@link Output.print} and {@link Output.warn} is printed as it is: callers escape what came from
 * elsewhere with terminalText, since their own text has line breaks to keep.
 *
 * @module
 */
import { terminalJson, terminalText } from '../lib/terminal-text.js'

/** Where output goes; `isTTY` decides between text and JSON. */
export interface Sink {
  write(s: string): unknown
  isTTY?: boolean
}

/** Output writes a command's results. */
export class Output {
  /** True when results are printed as JSON: `--json`, or stdout is not a terminal. */
  readonly json: boolean
  readonly #bold: boolean

  constructor(
    readonly stdout: Sink,
    readonly stderr: Sink,
    opts: { json?: boolean; env?: NodeJS.ProcessEnv; color?: 'auto' | 'never' | 'always' } = {},
  ) {
    this.json = opts.json === true || stdout.isTTY !== true
    const color = opts.color ?? 'auto'
    this.#bold = color === 'always' || (color === 'auto' && !this.json && (opts.env?.NO_COLOR ?? '') === '')
  }

  /** print writes text and a newline. */
  print(text = ''): void {
    this.stdout.write(text + '\n')
  }

  /** printJson writes one JSON value on one line (DEL, C1 and bidi controls as \u escapes, see terminalJson). */
  printJson(value: unknown): void {
    this.stdout.write(terminalJson(value) + '\n')
  }

  /** printTable writes aligned columns under a header line; control characters in cells are escaped. */
  printTable(headers: string[], rows: string[][]): void {
    // Escaped before the widths are measured, so that the columns line up with what is shown.
    this.stdout.write(formatTable(headers, rows.map((r) => r.map(terminalText)), this.#bold))
  }

  /** printFields writes `Label  value` lines, labels aligned; control characters in values are escaped. */
  printFields(fields: Array<[label: string, value: string | undefined]>): void {
    this.stdout.write(formatFields(fields.map(([label, value]) => [label, value === undefined ? undefined : terminalText(value)])))
  }

  /** warn writes a line to stderr. */
  warn(text: string): void {
    this.stderr.write(text + '\n')
  }
}

/** formatTable lays rows out in columns two spaces apart; the header is bold when asked. */
export function formatTable(headers: string[], rows: string[][], bold = false): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd()
  const head = line(headers)
  return [bold ? `\x1b[1m${head}\x1b[0m` : head, ...rows.map(line)].join('\n') + '\n'
}

/** formatFields lays out label/value pairs, skipping absent values. */
export function formatFields(fields: Array<[label: string, value: string | undefined]>): string {
  const present = fields.filter((f): f is [string, string] => f[1] !== undefined)
  const width = Math.max(0, ...present.map(([l]) => l.length)) + 2
  return present.map(([label, value]) => `${label.padEnd(width)}${value}`).join('\n') + '\n'
}

/** formatBytes renders a byte count as KiB/MiB/GiB with one decimal. */
export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = n
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${n} B` : `${value.toFixed(1)} ${units[unit]}`
}

/** formatDuration renders seconds as e.g. `3d 4h 5m 6s`. */
export function formatDuration(seconds: number): string {
  let s = Math.max(0, Math.floor(seconds))
  const parts: string[] = []
  for (const [unit, size] of [['d', 86_400], ['h', 3_600], ['m', 60]] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`)
      s %= size
    }
  }
  if (s > 0 || parts.length === 0) parts.push(`${s}s`)
  return parts.join(' ')
}

/** formatTime renders an RFC 3339 time as `YYYY-MM-DD hh:mm:ss` (UTC), or the input when unparsable. */
export function formatTime(rfc3339: string | undefined): string | undefined {
  if (rfc3339 === undefined) return undefined
  const t = new Date(rfc3339)
  return Number.isNaN(t.getTime()) ? rfc3339 : t.toISOString().replace('T', ' ').replace(/\.\d+Z$/, '')
}
