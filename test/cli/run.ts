/**
 * Runs the keyhold CLI in-process (fast) or as a real process (`node bin/keyhold.js`, for exit
 * codes and the executable itself), capturing its output.
 */
import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { runCli } from '../../src/cli/keyhold/index.js'

export interface CliResult {
  code: number
  stdout: string
  stderr: string
}

/** cli runs one invocation in this process; `tty` makes stdout look like a terminal. */
export async function cli(argv: string[], env: NodeJS.ProcessEnv = {}, opts: { tty?: boolean; signal?: AbortSignal } = {}): Promise<CliResult> {
  let stdout = ''
  let stderr = ''
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s), isTTY: opts.tty === true },
    stderr: { write: (s: string) => (stderr += s) },
    env,
    signal: opts.signal,
  })
  return { code, stdout, stderr }
}

const BIN = fileURLToPath(new URL('../../bin/keyhold.js', import.meta.url))

/** spawnCli runs `node bin/keyhold.js …` from the sources, with only the given environment (plus PATH). */
export function spawnCli(argv: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...argv],
      { env: { PATH: process.env.PATH, ...env, KEYHOLD_FROM_SOURCE: '1' }, timeout: 80_000 },
      (err, stdout, stderr) => {
        const code = err === null ? 0 : typeof err.code === 'number' ? err.code : 1
        resolve({ code, stdout, stderr })
      },
    )
  })
}
