/**
 * Starts a real `keyhold-s3 server` process for the S3 benchmark, from this checkout or from another one (a
 * `git archive` of an older commit, so a before/after comparison runs both builds in the same invocation and
 * the same machine load).
 *
 * @module
 */
import { spawn } from 'node:child_process'
import { join } from 'node:path'

/** A running keyhold-s3 server process. */
export interface S3Proc {
  url: string
  pid: number
  /** stop sends SIGTERM and waits for the exit (so a --cpu-prof profile is written). */
  stop(): Promise<void>
}

/**
 * startKeyholdS3 runs `<root>/bin/keyhold-s3.js server` (or `entry`, a compiled entry point) over TLS with the
 * certs dir; `nodeFlags` go to its node (e.g. --cpu-prof). Throws when the server does not announce its URL
 * within 60 s.
 */
export async function startKeyholdS3(opts: {
  root: string; dataDir: string; certsDir: string; user: string; password: string; nodeFlags?: string[]; entry?: string
}): Promise<S3Proc> {
  const bin = opts.entry ?? join(opts.root, 'bin/keyhold-s3.js')
  const proc = spawn(process.execPath, [...(opts.nodeFlags ?? []), bin, 'server', opts.dataDir,
    '--address', '127.0.0.1:0', '--certs-dir', opts.certsDir], {
    cwd: opts.root,
    env: { ...process.env, KEYHOLD_FROM_SOURCE: '1', MINIO_ROOT_USER: opts.user, MINIO_ROOT_PASSWORD: opts.password },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  // A failed run must not leave the server behind.
  process.once('exit', () => proc.kill('SIGKILL'))
  const url = await new Promise<string>((resolve, reject) => {
    let out = ''
    const timer = setTimeout(() => reject(new Error('keyhold-s3 did not start')), 60_000)
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString()
      const m = /serving the S3 API at (\S+)/.exec(out)
      if (m !== null) {
        clearTimeout(timer)
        resolve(m[1]!)
      }
    })
  })
  return {
    url,
    // bin/keyhold-s3.js runs the server in its own process (tsx registers in-process).
    pid: proc.pid!,
    stop: () => new Promise((resolve) => {
      if (proc.exitCode !== null) {
        resolve()
        return
      }
      proc.once('exit', () => resolve())
      proc.kill('SIGTERM')
    }),
  }
}
