import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { acquireFileLock, LockHeldError, type LockOwner } from '../../src/lib/file-lock.js'
import { currentProcess } from '../../src/lib/process-identity.js'

const dir = mkdtempSync(join(tmpdir(), 'keyhold-lock-'))
const opts = { holder: 'test', what: 'the thing' }

/** A PID that certainly ran and certainly is gone: a child that has exited and been reaped. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', '']).pid!
}

function writeOwner(path: string, owner: Partial<LockOwner>): void {
  const base = { ...currentProcess(), holder: 'old', since: '2020-01-01T00:00:00.000Z', token: 'x' }
  writeFileSync(path, `${JSON.stringify({ ...base, ...owner })}\n`)
}

describe('acquireFileLock', () => {
  it('holds the lock until released, refusing a second taker with the holder PID', () => {
    const path = join(dir, 'a.lock')
    const lock = acquireFileLock(path, opts)
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ pid: process.pid, holder: 'test' })
    const err = (() => {
      try {
        acquireFileLock(path, opts)
      } catch (e) {
        return e
      }
      return undefined
    })()
    expect(err).toBeInstanceOf(LockHeldError)
    expect((err as Error).message).toBe(
      `the thing is in use: lock '${path}' is held by PID ${process.pid} (test on ${currentProcess().host}, since ${(err as LockHeldError).owner!.since})`,
    )
    lock.release()
    expect(existsSync(path)).toBe(false)
    acquireFileLock(path, opts).release()
  })

  it('takes over the lock of a dead process', () => {
    const path = join(dir, 'b.lock')
    writeOwner(path, { pid: deadPid() })
    const lock = acquireFileLock(path, opts)
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ pid: process.pid })
    lock.release()
  })

  it('takes over a lock whose PID now belongs to a process started at another time', () => {
    const path = join(dir, 'c.lock')
    const me = currentProcess()
    if (me.start === undefined) return // no /proc: start times are unknown here
    writeOwner(path, { pid: process.pid, start: me.start - 1 })
    acquireFileLock(path, opts).release()
  })

  it('refuses an owner in another PID space until its lock stops being refreshed', () => {
    const path = join(dir, 'd.lock')
    writeOwner(path, { pid: 1, space: 'elsewhere', host: 'other-host' })
    expect(() => acquireFileLock(path, opts)).toThrow(/held by PID 1 \(old on other-host/)
    const old = new Date(Date.now() - 120_000)
    utimesSync(path, old, old)
    acquireFileLock(path, opts).release()
  })

  it('never removes a lock file it cannot read', () => {
    const path = join(dir, 'e.lock')
    writeFileSync(path, 'garbage')
    expect(() => acquireFileLock(path, opts)).toThrow(`the thing is in use: lock '${path}' exists but names no owner; remove it if no other process uses it`)
    expect(readFileSync(path, 'utf8')).toBe('garbage')
  })

  it('release leaves a lock that another process has since taken', () => {
    const path = join(dir, 'f.lock')
    const lock = acquireFileLock(path, opts)
    writeOwner(path, { pid: 1, token: 'someone-else' })
    lock.release()
    expect(readFileSync(path, 'utf8')).toContain('someone-else')
  })

  it('reports a missing directory as the file system error', () => {
    expect(() => acquireFileLock(join(dir, 'missing', 'g.lock'), opts)).toThrow(/ENOENT/)
  })
})
