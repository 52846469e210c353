/**
 * A small tmpfs for disk-full tests: mounted over a fresh temp directory when the tests run as root (and the
 * kernel lets them mount), else a reason to skip. {@link fillDisk} writes a ballast file until the file system
 * refuses another byte.
 */
import { execFileSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

/** A mounted tmpfs, or why there is none. */
export type Tmpfs = { dir: string; skip: undefined; unmount(): void } | { dir: undefined; skip: string; unmount(): void }

/** mountTmpfs mounts a tmpfs of `sizeMiB` over a fresh temp dir. Throws nothing: a failure is returned as `skip`. */
export function mountTmpfs(sizeMiB: number): Tmpfs {
  if (process.getuid?.() !== 0) return { dir: undefined, skip: 'needs root to mount a tmpfs', unmount: () => undefined }
  const dir = mkdtempSync(join(tmpdir(), 'keyhold-full-'))
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeMiB}m`, 'tmpfs', dir], { stdio: 'pipe' })
  } catch (err) {
    rmSync(dir, { recursive: true, force: true })
    return { dir: undefined, skip: `cannot mount a tmpfs: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`, unmount: () => undefined }
  }
  let mounted = true
  return {
    dir, skip: undefined,
    unmount() {
      if (!mounted) return
      mounted = false
      // Lazy: a server that failed to close must not keep the mount (and the test run) hanging.
      execFileSync('umount', ['-l', dir], { stdio: 'pipe' })
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** freeBytes is what an unprivileged writer may still write to the file system of `dir`. Throws on I/O errors. */
export function freeBytes(dir: string): number {
  const s = statfsSync(dir)
  return s.bavail * s.bsize
}

/**
 * fillDisk appends to the ballast file `path` until at most `leaveBytes` stay free (0: until the file system
 * answers ENOSPC). Throws on other I/O errors.
 */
export function fillDisk(path: string, leaveBytes = 0): void {
  const fd = openSync(path, 'a')
  try {
    const chunk = Buffer.alloc(1024 * 1024, 0x5a)
    for (;;) {
      const room = freeBytes(path.slice(0, path.lastIndexOf('/'))) - leaveBytes
      if (room <= 0) return
      try {
        writeSync(fd, chunk, 0, Math.min(chunk.length, Math.max(room, 1)))
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOSPC') return
        throw err
      }
    }
  } finally {
    closeSync(fd)
  }
}
