/**
 * The `keyhold-s3` command line (main.ts runs it): a table mapping subcommands to modules under
 * src/cli/keyhold-s3/. Each entry loads its module lazily and runs `(args, io) => exit code`. To add a subcommand,
 * add one line to SUBCOMMANDS.
 *
 * @module
 */

/** Where a subcommand writes (the same shape as src/cli/keyhold-s3/alias.ts's CliIo). */
export interface S3CliIo {
  env: NodeJS.ProcessEnv
  stdout: (s: string) => void
  stderr: (s: string) => void
}

type Run = (args: string[], io: S3CliIo) => Promise<number>

/** SUBCOMMANDS: name → summary and lazy loader of its runner. */
const SUBCOMMANDS: Record<string, { summary: string; load: () => Promise<Run> }> = {
  server: { summary: 'Start the S3 server on a data directory.', load: async () => (await import('./server.js')).serverCommand },
  alias: { summary: 'Set an alias: alias set ALIAS URL ACCESS_KEY SECRET_KEY.', load: async () => (await import('./alias.js')).aliasCommand },
  encrypt: { summary: 'Bucket default encryption: encrypt set sse-kms KEY ALIAS/BUCKET.', load: async () => (await import('./encrypt.js')).encryptCommand },
  stat: { summary: 'Show an object\'s metadata and encryption: stat ALIAS/BUCKET/OBJECT.', load: async () => (await import('./stat.js')).statCommand },
  version: { summary: 'Bucket versioning like mc version: version enable|suspend|info ALIAS/BUCKET.', load: async () => (await import('./versions.js')).versionCommand },
  ls: { summary: 'List buckets or objects: ls ALIAS[/BUCKET[/PREFIX]]; with --versions every version and delete marker.', load: async () => {
    const [{ lsCommand: versions }, { objectCommand }] = await Promise.all([import('./versions.js'), import('./objects.js')])
    const objects = objectCommand('ls')
    return (args: string[], io: Parameters<typeof objects>[1]) => (args.includes('--versions') ? versions(args, io) : objects(args, io))
  } },
  mb: { summary: 'Make a bucket: mb ALIAS/BUCKET.', load: async () => (await import('./objects.js')).objectCommand('mb') },
  rb: { summary: 'Remove an empty bucket: rb ALIAS/BUCKET.', load: async () => (await import('./objects.js')).objectCommand('rb') },
  rm: { summary: 'Remove an object: rm ALIAS/BUCKET/OBJECT.', load: async () => (await import('./objects.js')).objectCommand('rm') },
  cat: { summary: 'Print an object: cat ALIAS/BUCKET/OBJECT.', load: async () => (await import('./objects.js')).objectCommand('cat') },
  cp: { summary: 'Copy a local file to an object or back: cp SOURCE TARGET.', load: async () => (await import('./objects.js')).objectCommand('cp') },
  admin: { summary: 'Administration like mc admin: user, user svcacct, group, policy, kms key status, info, prometheus generate.', load: async () => (await import('./admin.js')).adminCommand },
}

function usage(): string {
  const width = Math.max(...Object.keys(SUBCOMMANDS).map((n) => n.length))
  const lines = Object.entries(SUBCOMMANDS).map(([n, e]) => `  ${n.padEnd(width)}  ${e.summary}`)
  return `Usage: keyhold-s3 COMMAND [ARGS...]\n\nCommands:\n${lines.join('\n')}\n\nRun 'keyhold-s3 COMMAND --help' for a command's options.\n`
}

/** runS3Cli runs one subcommand and resolves its exit code (2 for usage errors). */
export async function runS3Cli(argv: string[], io: S3CliIo): Promise<number> {
  const [name, ...rest] = argv
  if (name === undefined) {
    io.stderr(usage())
    return 2
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout(usage())
    return 0
  }
  const entry = SUBCOMMANDS[name]
  if (entry === undefined) {
    io.stderr(`keyhold-s3: unknown command '${name}'\n\n${usage()}`)
    return 2
  }
  return (await entry.load())(rest, io)
}
