/**
 * `keyhold server` as a process: --help, usage and config errors, and --dev printing working
 * curl and CLI lines, stopped by SIGTERM.
 */
import { execFile, spawn } from 'node:child_process'
import { writeFileSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { describe, expect, it, vi } from 'vitest'
import { UsageError } from '../../../src/cli/errors.js'
import { parseServerArgs, runServerCommand } from '../../../src/cli/keyhold/server.js'

const run = promisify(execFile)
const BIN = 'bin/keyhold.js'
const ENV = { ...process.env, KEYHOLD_FROM_SOURCE: '1' }

async function keyhold(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run('node', [BIN, ...args], { env: ENV, timeout: 20_000 })
    return { code: 0, stdout, stderr }
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string }
    return { code: e.code, stdout: e.stdout, stderr: e.stderr }
  }
}

describe('parseServerArgs', () => {
  it.each([
    [['--config', 'c.yml'], { config: 'c.yml', dev: false, help: false }],
    [['--config=c.yml', '--addr', ':7000'], { config: 'c.yml', addr: ':7000', dev: false, help: false }],
    [['--dev'], { dev: true, help: false }],
    [['-h'], { dev: false, help: true }],
  ])('%j', (argv, want) => {
    expect(parseServerArgs(argv)).toEqual(want)
  })

  it.each([
    [[], '--config FILE or --dev is required'],
    [['--dev', '--config', 'x'], 'mutually exclusive'],
    [['--config'], '--config needs a value'],
    [['--frob'], "unknown argument '--frob'"],
  ])('refuses %j', (argv, message) => {
    expect(() => parseServerArgs(argv)).toThrow(UsageError)
    expect(() => parseServerArgs(argv)).toThrow(message)
  })
})

describe('keyhold server', () => {
  it('prints help', async () => {
    const write = vi.spyOn(process.stdout, 'write').mockImplementation(() => true)
    try {
      await runServerCommand(['--help'])
      const text = write.mock.calls.map((c) => String(c[0])).join('')
      expect(text).toContain('Usage: keyhold server --config FILE [--addr HOST:PORT]')
      expect(text).toContain('--dev')
    } finally {
      write.mockRestore()
    }
  })

  it('fails with the kesconf message for an invalid config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyhold-cli-'))
    writeFileSync(join(dir, 'c.yml'), 'admin:\n  identity: x\n')
    const r = await keyhold(['server', '--config', join(dir, 'c.yml')])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(`kesconf: ${join(dir, 'c.yml')}:1: tls: missing required field`)
  })

  it('--dev prints a working curl line and stops on SIGTERM', async () => {
    const child = spawn('node', [BIN, 'server', '--dev', '--addr', '127.0.0.1:0'], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] })
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve))
    try {
      let out = ''
      await new Promise<void>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no banner: ${out}`)), 20_000)
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString()
          if (out.includes('keyhold key dek')) {
            clearTimeout(t)
            resolve()
          }
        })
      })
      expect(out).toMatch(/Admin key {2}kes:v1:[A-Za-z0-9+/=]{44}/)
      const line = out.split('\n').find((l) => l.includes('/v1/key/create/my-key'))!.trim()
      const args = line.split(/\s+/).slice(1)
      const { stdout } = await run('curl', ['-sS', '-w', '%{http_code}', ...args], { timeout: 10_000 })
      expect(stdout).toBe('200')
    } finally {
      child.kill('SIGTERM')
    }
    expect(await exited).toBe(0)
  })
})
