/**
 * The `keyhold` executable (bin/keyhold.js → here): runs one command and sets the exit code.
 *
 * @module
 */
import { runCli } from './index.js'

const argv = process.argv.slice(2)
const interrupt = new AbortController()
// `keyhold server` handles its own signals. A client command ends its streams quietly on the
// first signal; one still busy a second later is stopped.
if (argv[0] !== 'server') {
  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      interrupt.abort()
      setTimeout(() => process.exit(130), 1_000).unref()
    })
  }
}

const code = await runCli(argv, { stdout: process.stdout, stderr: process.stderr, env: process.env, signal: interrupt.signal })
if (code !== 0) process.exitCode = code
