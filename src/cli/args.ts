/**
 * Command and flag declarations for the `keyhold` CLI, flag parsing (node:util parseArgs) and the
 * help text every command prints for `--help`.
 *
 * @module
 */
import { parseArgs } from 'node:util'
import type { KesClient } from '../kes-client/index.js'
import { ENV } from '../kes-client/env.js'
import { parseDuration } from '../lib/duration.js'
import type { Output } from './output.js'
import { UsageError } from './errors.js'

/** A flag: `boolean`, a `string` value, or a `list` (repeatable string). */
export interface Flag {
  long: string
  short?: string
  kind: 'boolean' | 'string' | 'list'
  /** Placeholder of the value in help, e.g. `PATH`. */
  arg?: string
  help: string
}

/** Parsed flag values by long name. */
export type FlagValues = Record<string, boolean | string | string[] | undefined>

/** What a command's `run` gets. */
export interface CommandContext {
  args: string[]
  flags: FlagValues
  out: Output
  env: NodeJS.ProcessEnv
  /** The servers the environment and `--server` name. */
  servers: string[]
  /**
   * The client for `servers` (or for the given endpoints only), created on first use and closed
   * when the command ends. Throws ClientEnvError when the environment's credentials are unusable.
   */
  client(endpoints?: string[]): Promise<KesClient>
  /** Aborted on SIGINT/SIGTERM, for long-running commands. */
  signal: AbortSignal
}

/** A leaf command, e.g. `keyhold key create`. */
export interface Command {
  name: string
  summary: string
  /** Argument synopsis after the command path, e.g. `<name>...`. */
  synopsis: string
  /** Positional argument count; `missing` is the error when there are too few. */
  args: { min: number; max: number; missing?: string }
  flags: Flag[]
  examples?: string[]
  /** Further help text (paragraphs) printed after the options. */
  details?: string
  run(ctx: CommandContext): Promise<void>
}

/** A group of commands, e.g. `keyhold key`. */
export interface Group {
  name: string
  summary: string
  commands: Command[]
}

/** The help flag every command has. */
const HELP_FLAG: Flag = { long: 'help', short: 'h', kind: 'boolean', help: 'Print command line options.' }

/** Flags of every command that talks to a server. */
export const CLIENT_FLAGS: Flag[] = [
  { long: 'server', short: 's', kind: 'string', arg: 'HOST:PORT', help: 'Server endpoint(s), comma-separated. (default: $KES_SERVER or 127.0.0.1:7373)' },
  { long: 'insecure', short: 'k', kind: 'boolean', help: 'Skip verification of the server certificate.' },
  { long: 'color', kind: 'string', arg: 'WHEN', help: 'Bold table headers: auto (on a terminal), never or always.' },
  // KES scripts pass these; a KES server of today ignores enclaves, and so do we.
  { long: 'enclave', short: 'e', kind: 'string', arg: 'NAME', help: 'Accepted for KES compatibility; ignored.' },
]

/** The `--json` flag of commands that print data. */
export const JSON_FLAG: Flag = { long: 'json', kind: 'boolean', help: 'Print JSON (the default when output is not a terminal).' }

/**
 * parseFlags splits `argv` into flag values and positional arguments.
 * Throws UsageError for an unknown flag, a missing value or a value given to a boolean flag.
 */
export function parseFlags(argv: string[], flags: Flag[]): { flags: FlagValues; args: string[] } {
  const options: NonNullable<Parameters<typeof parseArgs>[0]>['options'] = {}
  for (const f of [...flags, HELP_FLAG]) {
    options[f.long] = { type: f.kind === 'boolean' ? 'boolean' : 'string', multiple: f.kind === 'list', ...(f.short === undefined ? {} : { short: f.short }) }
  }
  try {
    const { values, positionals } = parseArgs({ args: argv, options, strict: true, allowPositionals: true })
    return { flags: values as FlagValues, args: positionals }
  } catch (err) {
    const message = err instanceof Error ? err.message.split('. ')[0]! : String(err)
    throw new UsageError(message.replace(/^Unknown option/, 'unknown flag').replace(/^Option/, 'flag'))
  }
}

/** commandHelp renders `keyhold <path> --help`. */
export function commandHelp(path: string, cmd: Command): string {
  const lines = [`Usage:`, `    keyhold ${path} [options]${cmd.synopsis === '' ? '' : ' ' + cmd.synopsis}`, '', cmd.summary, '', 'Options:']
  lines.push(...flagLines([...cmd.flags, HELP_FLAG]))
  if (cmd.details !== undefined) lines.push('', cmd.details.trimEnd())
  if (cmd.flags.some((f) => f.long === 'server')) lines.push('', ...clientEnvHelp())
  if (cmd.examples !== undefined && cmd.examples.length > 0) {
    lines.push('', 'Examples:', ...cmd.examples.map((e) => `    $ ${e}`))
  }
  return lines.join('\n') + '\n'
}

/** groupHelp renders `keyhold <group> --help`. */
export function groupHelp(group: Group): string {
  const width = Math.max(...group.commands.map((c) => c.name.length)) + 4
  return [
    'Usage:',
    `    keyhold ${group.name} <command>`,
    '',
    group.summary,
    '',
    'Commands:',
    ...group.commands.map((c) => `    ${c.name.padEnd(width)}${c.summary}`),
    '',
    'Options:',
    ...flagLines([HELP_FLAG]),
    '',
    `See 'keyhold ${group.name} <command> --help' for the options of a command.`,
  ].join('\n') + '\n'
}

/**
 * clientEnvHelp lists the environment variables a client command reads, first match wins (from the
 * client's own table, so the help cannot drift from what is read).
 */
function clientEnvHelp(): string[] {
  const also = (names: readonly string[], main: string) => {
    const rest = names.filter((n) => n !== main)
    return rest.length === 0 ? '' : ` (also ${rest.join(', ')})`
  }
  const rows: Array<[string, string]> = [
    ['KES_SERVER', `Server endpoint(s), comma-separated, when --server is not given${also(ENV.server, 'KES_SERVER')}.`],
    ['KES_API_KEY', `API key${also(ENV.apiKey, 'KES_API_KEY')}; or a client certificate:`],
    ['KES_CLIENT_CERT', `Client certificate file${also(ENV.certFile, 'KES_CLIENT_CERT')}.`],
    ['KES_CLIENT_KEY', `Its private key file${also(ENV.keyFile, 'KES_CLIENT_KEY')}; ${ENV.keyPassword.join(', ')} decrypts it.`],
    ['KES_CAPATH', `CA file or directory that signed the server certificate${also(ENV.caPath, 'KES_CAPATH')}.`],
    ['NO_COLOR', 'Set: no bold table headers with --color auto.'],
  ]
  return ['Environment:', ...rows.map(([name, text]) => `    ${name.padEnd(25)}${text}`)]
}

function flagLines(flags: Flag[]): string[] {
  const left = flags.map((f) => {
    const names = f.short === undefined ? `    --${f.long}` : `-${f.short}, --${f.long}`
    return f.kind === 'boolean' ? names : `${names} <${f.arg ?? 'VALUE'}>`
  })
  const width = Math.max(25, ...left.map((l) => l.length + 2))
  return flags.map((f, i) => `    ${left[i]!.padEnd(width)}${f.help}`)
}

/**
 * parseDurationFlag reads a flag's Go duration (`720h`, `1h30m`, `90s`, `500ms`) into milliseconds.
 * Throws UsageError when the text is not one or is not positive.
 */
export function parseDurationFlag(text: string, flag: string): number {
  // A flag's value is taken as typed: surrounding blanks are a mistake, not padding.
  const ms = text === text.trim() ? parseDuration(text) : undefined
  if (ms === undefined || !(ms > 0)) throw new UsageError(`invalid duration '${text}' for --${flag}: use e.g. 720h, 1h30m or 5s`)
  return ms
}

/** isBase64 reports whether `s` is standard base64 with padding (what KES prints and expects). */
export function isBase64(s: string): boolean {
  return s.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(s)
}
