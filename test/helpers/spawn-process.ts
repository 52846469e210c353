/**
 * Runs one of our executables (`bin/keyhold.js`, `bin/keyhold-s3.js`) as a real process for a
 * test, from the sources, collecting its output: for start-up refusals, signals and exit codes.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { join } from 'node:path'

const repo = join(import.meta.dirname, '..', '..')

/** A spawned executable. */
export interface Spawned {
  child: ChildProcess
  stdout(): string
  stderr(): string
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>
  /** Resolves with the first match of `re` in stdout; rejects if the process exits first or after `ms`. */
  waitFor(re: RegExp, ms?: number): Promise<RegExpExecArray>
  /** Sends `signal` (default SIGTERM) and resolves with the exit code; SIGKILL after 15 s. */
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/** spawnBin starts `node bin/<name>.js ...args` with KEYHOLD_FROM_SOURCE=1 and `env` added. Throws nothing. */
export function spawnBin(name: 'keyhold' | 'keyhold-s3', args: string[], env: NodeJS.ProcessEnv = {}): Spawned {
  const child = spawn(process.execPath, [join(repo, 'bin', `${name}.js`), ...args], {
    cwd: repo,
    env: { ...process.env, KEYHOLD_FROM_SOURCE: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d))
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  const guard = setTimeout(() => child.kill('SIGKILL'), 170_000) // never outlive the test
  guard.unref()
  void exited.then(() => clearTimeout(guard))
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitFor(re, ms = 90_000) {
      const deadline = Date.now() + ms
      for (;;) {
        const m = re.exec(out)
        if (m !== null) return m
        if (child.exitCode !== null || child.signalCode !== null || Date.now() > deadline) {
          throw new Error(`${name} did not print ${re} (exit ${child.exitCode ?? child.signalCode}):\n${out}\n${err}`)
        }
        await new Promise((r) => setTimeout(r, 50))
      }
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal)
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000)
      const code = await exited
      clearTimeout(timer)
      return code
    },
  }
}
