/**
 * The lock on a full file system (a small tmpfs): a stale lock left by a crash is still taken over, in place,
 * so a server can start to serve the reads and deletes that free space; a live holder is still refused; a lock
 * that does not exist yet cannot be created, and the attempt leaves no temp file. Needs root; skipped otherwise.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { acquireFileLock, LockHeldError } from '../../src/lib/file-lock.js'
import { currentProcess } from '../../src/lib/process-identity.js'
import { fillDisk, mountTmpfs } from '../helpers/tmpfs.js'

const tmpfs = mountTmpfs(1)
const opts = { holder: 'test', what: 'the thing' }

describe.skipIf(tmpfs.skip !== undefined)(`acquireFileLock on a full disk${tmpfs.skip !== undefined ? ` (skipped: ${tmpfs.skip})` : ''}`, () => {
  const dir = tmpfs.dir!
  const ballast = join(dir, 'ballast')
  afterEach(() => {
    for (const f of readdirSync(dir)) rmSync(join(dir, f), { force: true })
  })
  afterAll(() => tmpfs.unmount())

  it('takes over the stale lock of a dead process in place, and still refuses a second taker', () => {
    const path = join(dir, 'a.lock')
    const dead = spawnSync(process.execPath, ['-e', '']).pid!
    writeFileSync(path, `${JSON.stringify({ ...currentProcess(), pid: dead, holder: 'old', since: '2020-01-01T00:00:00.000Z', token: 'stale-token' })}\n`)
    fillDisk(ballast)
    expect(() => writeFileSync(join(dir, 'probe'), 'x')).toThrow(/ENOSPC/)
    rmSync(join(dir, 'probe'), { force: true })

    const lock = acquireFileLock(path, opts)
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ pid: process.pid, holder: 'test' })
    expect(() => acquireFileLock(path, opts)).toThrow(LockHeldError)
    expect(readdirSync(dir).sort()).toEqual(['a.lock', 'ballast'])
    lock.release()
    expect(existsSync(path)).toBe(false)
  })

  it('refuses a live holder on a full disk with the holder named', () => {
    const path = join(dir, 'b.lock')
    const lock = acquireFileLock(path, opts)
    fillDisk(ballast)
    expect(() => acquireFileLock(path, opts)).toThrow(`lock '${path}' is held by PID ${process.pid}`)
    lock.release()
  })

  it('cannot create a lock that does not exist yet, and leaves no temp file', () => {
    fillDisk(ballast)
    expect(() => acquireFileLock(join(dir, 'c.lock'), opts)).toThrow(/ENOSPC/)
    expect(readdirSync(dir)).toEqual(['ballast'])
  })
})
