/**
 * The `keyhold` command table and dispatcher: one entry per command or command group, each
 * parsed, helped and run the same way. `keyhold server` and `keyhold audit` are handed their
 * arguments as they are: they belong to the server and operations parts.
 *
 * @module
 */
import { findPackage } from '../../lib/package-root.js'
import { CLIENT_ENV, KesClient, clientOptionsFromEnv, serversFromEnv } from '../../kes-client/index.js'
import { commandHelp, groupHelp, parseFlags, type Command, type CommandContext, type Group } from '../args.js'
import { CliError, UsageError } from '../errors.js'
import { Output, type Sink } from '../output.js'
import { terminalLines, terminalText } from '../../lib/terminal-text.js'
import { identityGroup } from './identity.js'
import { keyGroup } from './key.js'
import { logCommand } from './log.js'
import { lsCommand } from './ls.js'
import { metricCommand } from './metric.js'
import { policyGroup } from './policy.js'
import { statusCommand } from './status.js'

/** Where the CLI reads and writes; the process's own streams in production. */
export interface CliIo {
  stdout: Sink
  stderr: Sink
  env: NodeJS.ProcessEnv
  /** Aborted when the user interrupts (SIGINT/SIGTERM). */
  signal?: AbortSignal
}

// Heavy modules (the server, keystores, config) load only when their command runs: a client
// command starts faster without them.
type Entry =
  | { kind: 'group'; group: Group }
  | { kind: 'command'; command: Command }
  | { kind: 'lazy'; name: string; summary: string; load(): Promise<Command> }
  | { kind: 'external'; name: string; summary: string; run(argv: string[]): Promise<void> }

/** The command table: the map of the CLI. */
const COMMANDS: Entry[] = [
  {
    kind: 'external',
    name: 'server',
    summary: 'Start a Keyhold server.',
    run: async (argv) => (await import('./server.js')).runServerCommand(argv),
  },
  { kind: 'group', group: keyGroup },
  { kind: 'group', group: policyGroup },
  { kind: 'group', group: identityGroup },
  { kind: 'command', command: lsCommand },
  { kind: 'command', command: logCommand },
  { kind: 'command', command: statusCommand },
  { kind: 'command', command: metricCommand },
  {
    kind: 'lazy',
    name: 'migrate',
    summary: 'Copy keys from one keystore to another, unchanged.',
    load: async () => (await import('./migrate.js')).migrateCommand,
  },
  {
    kind: 'external',
    name: 'audit',
    summary: 'Verify the hash chain of an audit log file.',
    run: async (argv) => (await import('./audit.js')).runAuditCommand(argv),
  },
]

const nameOf = (e: Entry): string => (e.kind === 'group' ? e.group.name : e.kind === 'command' ? e.command.name : e.name)
const summaryOf = (e: Entry): string => (e.kind === 'group' ? e.group.summary : e.kind === 'command' ? e.command.summary : e.summary)

/** version returns the package version (dist/ and sources sit at different depths). */
function version(): string {
  return findPackage(import.meta.url)?.version || 'unknown'
}

function topHelp(): string {
  const width = Math.max(...COMMANDS.map((e) => nameOf(e).length)) + 4
  return [
    'Usage:',
    '    keyhold [options] <command>',
    '',
    'Keyhold: a KES-compatible key management server, and its client.',
    '',
    'Commands:',
    ...COMMANDS.map((e) => `    ${nameOf(e).padEnd(width)}${summaryOf(e)}`),
    '',
    'Options:',
    `    ${'-v, --version'.padEnd(25)}Print version information.`,
    `    ${'-h, --help'.padEnd(25)}Print command line options.`,
    '',
    'Environment (client commands):',
    '    KES_SERVER                 Server endpoint(s), comma-separated (also MINIO_KES_SERVER, MINIO_KMS_KES_ENDPOINT).',
    '    KES_API_KEY                API key (also MINIO_KES_API_KEY, MINIO_KMS_KES_API_KEY), or',
    '    KES_CLIENT_CERT/KEY        client certificate and private key files (also MINIO_KES_CERT_FILE/KEY_FILE).',
    '    KES_CAPATH                 CA certificate file or directory for the server certificate (also MINIO_KMS_KES_CAPATH).',
    '',
    "See 'keyhold <command> --help' for more about a command.",
  ].join('\n') + '\n'
}

/**
 * runCli runs one `keyhold` invocation and returns its exit code: 0 success, 1 failure (the
 * server's message is printed as `Error: …`), 2 usage error. Throws nothing.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv
  // Help asked for goes to stdout (exit 0); help given because something is missing is a usage error.
  if (name === undefined) {
    io.stderr.write(topHelp())
    return 2
  }
  if (name === '-h' || name === '--help' || name === 'help') {
    io.stdout.write(topHelp())
    return 0
  }
  if (name === '-v' || name === '--version') {
    io.stdout.write(`keyhold version ${version()}\n`)
    return 0
  }
  const entry = COMMANDS.find((e) => nameOf(e) === name)
  if (entry === undefined) return usageFailure(io, `'${name}' is not a keyhold command`, '')
  if (entry.kind === 'external') {
    try {
      await entry.run(rest)
      return 0
    } catch (err) {
      io.stderr.write(`Error: ${shownMessage(err)}\n`)
      return 1
    }
  }
  if (entry.kind === 'command') return runCommand(name, entry.command, rest, io)
  if (entry.kind === 'lazy') return runCommand(name, await entry.load(), rest, io)
  const [sub, ...args] = rest
  if (sub === undefined) {
    io.stderr.write(groupHelp(entry.group))
    return 2
  }
  if (sub === '-h' || sub === '--help') {
    io.stdout.write(groupHelp(entry.group))
    return 0
  }
  const command = entry.group.commands.find((c) => c.name === sub)
  if (command === undefined) return usageFailure(io, `'${sub}' is not a ${name} command`, name)
  return runCommand(`${name} ${sub}`, command, args, io)
}

function withoutCredentials(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const names = new Set<string>([...CLIENT_ENV.apiKey, ...CLIENT_ENV.keyFile, ...CLIENT_ENV.certFile])
  return Object.fromEntries(Object.entries(env).filter(([k]) => !names.has(k)))
}

function colorOf(value: unknown): 'auto' | 'never' | 'always' {
  if (value === undefined || value === 'auto' || value === 'never' || value === 'always') return value ?? 'auto'
  throw new UsageError(`invalid --color '${String(value)}': use auto, never or always`)
}

/**
 * shownMessage is the message of a failure as printed after `Error: `, control characters escaped:
 * it often quotes a server's answer (`failed to …: <server message>`), which may hold ESC sequences.
 * A config error (`keyhold server`, `keyhold migrate`) lists one issue of the operator's own file
 * per line: its line breaks stay. Any other message is one line, an LF in it shown as `\n`. Throws nothing.
 */
function shownMessage(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err)
  return err instanceof Error && err.name === 'ConfigError' ? terminalLines(message) : terminalText(message)
}

function usageFailure(io: CliIo, message: string, path: string): number {
  io.stderr.write(`Error: ${terminalText(message)}. See 'keyhold ${path === '' ? '' : path + ' '}--help'\n`)
  return 2
}

async function runCommand(path: string, command: Command, argv: string[], io: CliIo): Promise<number> {
  const clients: KesClient[] = []
  try {
    const { flags, args } = parseFlags(argv, command.flags)
    if (flags.help === true) {
      io.stdout.write(commandHelp(path, command))
      return 0
    }
    if (args.length < command.args.min) throw new UsageError(command.args.missing ?? 'missing arguments')
    if (args.length > command.args.max) throw new UsageError('too many arguments')
    const talksToServer = command.flags.some((f) => f.long === 'server')
    const servers = talksToServer ? serversFromEnv(io.env, flags.server as string | undefined) : []
    let shared: Promise<KesClient> | undefined
    // An API key on the command line (`ls -a`) replaces whatever credentials the environment names.
    const apiKey = flags['api-key'] as string | undefined
    const env = apiKey === undefined ? io.env : { ...withoutCredentials(io.env), KES_API_KEY: apiKey }
    const open = async (endpoints: string[]): Promise<KesClient> => {
      const options = await clientOptionsFromEnv(env, { insecure: flags.insecure === true })
      const client = await KesClient.create({ ...options, endpoints })
      clients.push(client)
      return client
    }
    const ctx: CommandContext = {
      args,
      flags,
      env: io.env,
      out: new Output(io.stdout, io.stderr, { json: flags.json === true, env: io.env, color: colorOf(flags.color) }),
      servers,
      client: (endpoints) => (endpoints === undefined ? (shared ??= open(servers)) : open(endpoints)),
      signal: io.signal ?? new AbortController().signal,
    }
    await command.run(ctx)
    return 0
  } catch (err) {
    if (err instanceof UsageError) return usageFailure(io, err.message, path)
    if (!(err instanceof CliError && err.shown)) io.stderr.write(`Error: ${shownMessage(err)}\n`)
    return 1
  } finally {
    for (const c of clients) c.close()
  }
}
