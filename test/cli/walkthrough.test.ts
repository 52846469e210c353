/**
 * Runs the README's walk-through as written: every ```sh block, in order, in one bash process, with
 * `keyhold` on PATH (bin/keyhold.js from the sources) and only KEYHOLD_DIR and KEYHOLD_PORT set
 * from outside: the variables the doc itself reads.
 */
import { execFile } from 'node:child_process'
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort } from '../helpers/net.js'
import { afterAll, describe, expect, it } from 'vitest'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const README = join(ROOT, 'README.md')

/** walkthrough cuts the README's walk-through section out, between its two markers. */
function walkthrough(markdown: string): string {
  const start = markdown.indexOf('<!-- walkthrough:start')
  const end = markdown.indexOf('<!-- walkthrough:end -->')
  if (start < 0 || end < start) throw new Error('README.md has no walkthrough:start/end markers')
  return markdown.slice(start, end)
}

/** shellBlocks returns the bodies of the ```sh fences, in order. */
function shellBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```sh\n([\s\S]*?)^```$/gm)].map((m) => m[1]!)
}


const work = mkdtempSync(join(tmpdir(), 'keyhold-walkthrough-'))
const demo = join(work, 'demo')

afterAll(() => {
  // Whatever happened, the server the doc started must not outlive the test.
  const pidFile = join(demo, 'server.pid')
  if (existsSync(pidFile)) {
    try {
      process.kill(Number(readFileSync(pidFile, 'utf8').trim()))
    } catch {
      // already stopped, as the doc's last step does
    }
  }
})

describe('README walk-through', () => {
  it('runs as written and does what it says', async () => {
    const blocks = shellBlocks(walkthrough(readFileSync(README, 'utf8')))
    expect(blocks.length).toBeGreaterThanOrEqual(9)
    const bin = join(work, 'bin')
    mkdirSync(bin)
    writeFileSync(join(bin, 'keyhold'), `#!/bin/sh\nexec "${process.execPath}" "${join(ROOT, 'bin', 'keyhold.js')}" "$@"\n`)
    chmodSync(join(bin, 'keyhold'), 0o755)
    const port = await freePort()
    const script = ['set -eu', ...blocks].join('\n')
    const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        'bash',
        ['-c', script],
        {
          cwd: work,
          timeout: 150_000,
          env: { PATH: `${bin}:${process.env.PATH ?? ''}`, HOME: work, KEYHOLD_FROM_SOURCE: '1', KEYHOLD_DIR: demo, KEYHOLD_PORT: String(port) },
        },
        (err, out, errOut) => resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout: out, stderr: errOut }),
      )
    })
    const serverLog = existsSync(join(demo, 'server.log')) ? readFileSync(join(demo, 'server.log'), 'utf8') : ''
    expect({ code, stderr, serverLog: code === 0 ? '' : serverLog }).toEqual({ code: 0, stderr: '', serverLog: '' })

    const clientId = /application identity: ([0-9a-f]{64})/.exec(stdout)?.[1]
    expect(clientId).toBeDefined()
    expect(stdout).toMatch(/^\{"version":"[^"]+","commit":"[^"]*"\}$/m)
    expect(stdout).toContain('{"message":"not authorized: insufficient permissions"}')
    expect(stdout).toContain('describe my-app-key: 404\n')
    const dek = JSON.parse(readFileSync(join(demo, 'dek.json'), 'utf8')) as { plaintext: string; ciphertext: string }
    expect(Buffer.from(dek.plaintext, 'base64')).toHaveLength(32)
    expect(stdout).toContain(`{"plaintext":"${dek.plaintext}"}`)
    expect(stdout).toContain('{"message":"decryption failed: ciphertext is not authentic"}')
    expect(statSync(join(demo, 'keys', 'my-app-key')).mode & 0o777).toBe(0o600)
    expect(statSync(join(demo, 'client.key')).mode & 0o777).toBe(0o600)
    // The data key appears where the doc prints it on purpose, never in the server's log.
    expect(serverLog).not.toContain(dek.plaintext)
  }, 180_000)
})
