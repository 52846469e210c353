/**
 * A SIGTERM sent the instant keyhold-s3 prints its banner stops it cleanly (exit 0, lock released):
 * the banner is the "ready" signal scripts and supervisors wait for, so the stop listeners must already be
 * in place when it appears. Before the fix, a signal in that window killed the process outright.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { spawnBin } from '../helpers/spawn-process.js'

const work = mkdtempSync(join(tmpdir(), 'keyhold-s3-stop-'))
mkdirSync(join(work, 'certs'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

describe('keyhold-s3 server stop signal', () => {
  it('exits 0 and releases the lock on a SIGTERM sent with the first byte of the banner', async () => {
    for (let round = 0; round < 3; round++) {
      const p = spawnBin('keyhold-s3', ['server', join(work, 'data'), '--address', '127.0.0.1:0', '--certs-dir', join(work, 'certs'), '--dev'])
      p.child.stdout!.once('data', () => p.child.kill('SIGTERM'))
      expect({ round, code: await p.exited, signal: p.child.signalCode }).toEqual({ round, code: 0, signal: null })
      expect(existsSync(join(work, 'data', 'keyhold-s3.lock'))).toBe(false)
    }
  }, 120_000)
})
