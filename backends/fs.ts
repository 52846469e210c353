/**
 * The filesystem keystore (KES `internal/keystore/fs`): one file per key, named after the key,
 * holding the encoded key, mode 0600.
 *
 * Unlike KES, which writes the final file in place (O_EXCL), we write a dot-prefixed temp file,
 * fsync it and `link()` it to the final name, so that a crash at any moment leaves either the
 * whole key or no key — never a truncated one that would brick a key name. `link` fails with
 * EEXIST when the name is taken, which makes it an atomic exclusive create. A rotation's replacement
 * renames such a temp file over the name, so that a crash leaves the old key or the new, never neither.
 *
 * @module
 */
import { createHash, randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { link, mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises'
import { hostname } from 'node:os'
import { join, resolve } from 'node:path'
import { performance } from 'node:perf_hooks'
import {
  type KeyListPage, type KeyStore, type KeyStoreState, KeyExistsError, KeyNotFoundError, UnreachableError,
  listPage,
} from '../src/kms/keystore/keystore.js'

/** Stored keys are far smaller; anything larger is not a key file (KES uses the same limit). */
const MAX_KEY_FILE_SIZE = 1 << 20
const READ_CHUNK = 16 * 1024
/** Temp files start with '.', which no valid key name can, so they never collide or get listed. */
const TMP_PREFIX = '.keyhold-tmp-'
/**
 * A temp file is `.keyhold-tmp-<host>-<pid>-<random>`: the host (a hash of its name) and PID of
 * the process writing it, so that a sweep can leave alone the temp file of a live writer (another
 * worker, another server on the same directory) and remove only a dead writer's.
 */
const HOST_TAG = createHash('sha256').update(hostname()).digest('hex').slice(0, 8)
const OWNED_TMP = /^\.keyhold-tmp-([0-9a-f]{8})-(\d+)-[0-9a-f]{24}$/
/** A temp file older than this is abandoned whoever wrote it: a create holds one for milliseconds. */
const ABANDONED_TMP_MS = 10 * 60_000
const VALID_NAME = /^[0-9A-Za-z_-]+$/

function checkName(name: string): void {
  // Defence in depth against path traversal: the API validates names too.
  if (!VALID_NAME.test(name)) throw new Error('keystore: invalid key name')
}

function checkSignal(signal: AbortSignal): void {
  if (signal.aborted) throw new Error('keystore: operation aborted', { cause: signal.reason })
}

/** isDead reports whether process `pid` of this host provably no longer runs (ESRCH). */
function isDead(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return false
  } catch (err) {
    return errnoCode(err) === 'ESRCH'
  }
}

/**
 * isAbandoned tells a temp file no live writer owns: one this host's dead process wrote, or one
 * old enough that no create can still be writing it (another host's, or an old unowned name).
 */
async function isAbandoned(dir: string, entry: string): Promise<boolean> {
  const m = OWNED_TMP.exec(entry)
  if (m !== null && m[1] === HOST_TAG && Number(m[2]) !== process.pid && isDead(Number(m[2]))) return true
  try {
    return Date.now() - (await stat(join(dir, entry))).mtimeMs > ABANDONED_TMP_MS
  } catch {
    return false // already gone
  }
}

function errnoCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : undefined
}

/** ` (ENOSPC)` and the like, for a message an operator reads: the code names the cause, the path is known. */
function causeCode(err: unknown): string {
  const code = errnoCode(err)
  return code === undefined ? '' : ` (${code})`
}

/**
 * FileKeyStore stores keys as files in one directory. Throws KeyExistsError, KeyNotFoundError,
 * UnreachableError (directory gone), or a plain Error (invalid name, I/O failure, oversized file).
 */
export class FileKeyStore implements KeyStore {
  /** The last replace or delete of each name in flight in this process: they run one at a time per name. */
  private readonly turns = new Map<string, Promise<unknown>>()

  private constructor(private readonly dir: string) {}

  /**
   * open creates `dir` (mode 0700) if missing and returns the store; with `sweep` (the default) it
   * first removes the temp files crashed writers left (see {@link FileKeyStore.sweep}). A server's
   * workers open with `sweep: false`: their primary swept once before forking them. Throws Error
   * if `dir` is not a directory or cannot be read.
   */
  static async open(dir: string, options: { sweep?: boolean } = {}): Promise<FileKeyStore> {
    const abs = resolve(dir)
    await mkdir(abs, { recursive: true, mode: 0o700 })
    const st = await stat(abs)
    if (!st.isDirectory()) throw new Error(`keystore: '${abs}' is not a directory`)
    if (options.sweep !== false) await FileKeyStore.sweep(abs)
    return new FileKeyStore(abs)
  }

  /**
   * sweep removes the temp files in `dir` that no live writer owns: those of dead processes on
   * this host, and any older than ten minutes. Returns how many it removed. Throws Error if `dir`
   * cannot be read.
   */
  static async sweep(dir: string): Promise<number> {
    let removed = 0
    for (const entry of await readdir(dir)) {
      if (!entry.startsWith(TMP_PREFIX) || !(await isAbandoned(dir, entry))) continue
      await unlink(join(dir, entry)).then(() => removed++, () => {})
    }
    return removed
  }

  /** Stats the directory. Throws UnreachableError when it is missing or not a directory. */
  async status(signal: AbortSignal): Promise<KeyStoreState> {
    checkSignal(signal)
    const start = performance.now()
    const problem = await this.dirProblem()
    if (problem !== undefined) throw problem
    return { latencyMs: performance.now() - start }
  }

  /**
   * Creates the key file atomically. Throws KeyExistsError when `name` exists (also on a full disk: that is
   * checked before anything is written), UnreachableError when the directory is gone, a plain Error naming the
   * cause (ENOSPC, ...) on an invalid name or an I/O failure (then no key file exists unless the final
   * directory sync failed).
   */
  async create(name: string, value: Uint8Array, signal: AbortSignal): Promise<void> {
    checkName(name)
    checkSignal(signal)
    const path = join(this.dir, name)
    // A server creates its configured keys at every start: on a full disk that must say "exists", not fail.
    if (await stat(path).then(() => true, () => false)) throw new KeyExistsError(name)
    let tmp: string | undefined
    try {
      tmp = await this.writeTemp(value)
      await link(tmp, path)
    } catch (err) {
      if (errnoCode(err) === 'EEXIST') throw new KeyExistsError(name)
      throw (await this.dirProblem(err)) ?? new Error(`keystore: cannot create key '${name}'${causeCode(err)}`, { cause: err })
    } finally {
      if (tmp !== undefined) await unlink(tmp).catch(() => {}) // a sweep removes it once we are gone if this fails or we crash first
    }
    await this.syncDir()
  }

  /**
   * Replaces the key file with `value` if it holds `expected`, by renaming a synced temp file over it: a crash
   * leaves the old key or the new one, never neither (a delete-and-create replacement left neither for a
   * moment, and a crash there lost the key). The comparison and the rename are two steps: in this process,
   * replaces and deletes of a name take turns; a server's processes take turns on a key for every rotation and
   * deletion (key-turns.ts); so only another server sharing the directory could fall between them
   * (docs/key-rotation.md). Resolves false when `name` holds another value.
   * Throws KeyNotFoundError when `name` is absent, UnreachableError when the directory is gone, a plain Error
   * naming the cause on an I/O failure (then the old key stays).
   */
  replace(name: string, expected: Uint8Array, value: Uint8Array, signal: AbortSignal): Promise<boolean> {
    return this.inTurn(name, () => this.compareAndRename(name, expected, value, signal))
  }

  private async compareAndRename(name: string, expected: Uint8Array, value: Uint8Array, signal: AbortSignal): Promise<boolean> {
    const current = await this.get(name, signal)
    if (!Buffer.from(current).equals(Buffer.from(expected))) return false
    let tmp: string | undefined
    try {
      tmp = await this.writeTemp(value)
      await rename(tmp, join(this.dir, name))
      tmp = undefined
    } catch (err) {
      throw (await this.dirProblem(err)) ?? new Error(`keystore: cannot replace key '${name}'${causeCode(err)}`, { cause: err })
    } finally {
      if (tmp !== undefined) await unlink(tmp).catch(() => {})
    }
    await this.syncDir()
    return true
  }

  /** Runs `fn` once every earlier replace or delete of `name` in this process has settled. Throws what `fn` throws. */
  private inTurn<T>(name: string, fn: () => Promise<T>): Promise<T> {
    const run = (this.turns.get(name) ?? Promise.resolve()).then(fn, fn)
    const settled = run.catch(() => undefined)
    this.turns.set(name, settled)
    void settled.then(() => {
      if (this.turns.get(name) === settled) this.turns.delete(name)
    })
    return run
  }

  /** Writes `value` to a new temp file (mode 0600) and syncs it; returns its path. Throws the I/O error (the file may be left for a sweep). */
  private async writeTemp(value: Uint8Array): Promise<string> {
    const tmp = join(this.dir, `${TMP_PREFIX}${HOST_TAG}-${process.pid}-${randomBytes(12).toString('hex')}`)
    const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600)
    try {
      await fh.chmod(0o600) // the umask may have narrowed the mode; make it exact
      await fh.writeFile(value)
      await fh.sync()
    } catch (err) {
      await unlink(tmp).catch(() => {})
      throw err
    } finally {
      await fh.close()
    }
    return tmp
  }

  /**
   * Reads the key file. Throws KeyNotFoundError when absent, UnreachableError when the directory
   * is gone, a plain Error when over 1 MiB.
   */
  async get(name: string, signal: AbortSignal): Promise<Uint8Array> {
    checkName(name)
    checkSignal(signal)
    let fh
    try {
      fh = await open(join(this.dir, name), 'r')
    } catch (err) {
      throw (await this.dirProblem(err)) ??
        (errnoCode(err) === 'ENOENT' ? new KeyNotFoundError(name) : new Error(`keystore: cannot read key '${name}'`, { cause: err }))
    }
    try {
      // Read in chunks and bound the total, not the stat: a file may grow while we read it.
      const chunks: Buffer[] = []
      let total = 0
      for (;;) {
        const chunk = Buffer.alloc(READ_CHUNK)
        const { bytesRead } = await fh.read(chunk, 0, READ_CHUNK, null)
        if (bytesRead === 0) break
        chunks.push(chunk.subarray(0, bytesRead))
        total += bytesRead
        if (total > MAX_KEY_FILE_SIZE) throw new Error(`keystore: key file '${name}' exceeds 1 MiB`)
      }
      return new Uint8Array(Buffer.concat(chunks, total))
    } catch (err) {
      throw new Error(`keystore: cannot read key '${name}'`, { cause: err })
    } finally {
      await fh.close()
    }
  }

  /** Removes the key file. Throws KeyNotFoundError when absent, UnreachableError when the directory is gone. */
  delete(name: string, signal: AbortSignal): Promise<void> {
    // In turn with replaces: one that read the key before this unlink must not rename it back afterwards.
    return this.inTurn(name, () => this.unlinkKey(name, signal))
  }

  private async unlinkKey(name: string, signal: AbortSignal): Promise<void> {
    checkName(name)
    checkSignal(signal)
    try {
      await unlink(join(this.dir, name))
    } catch (err) {
      throw (await this.dirProblem(err)) ??
        (errnoCode(err) === 'ENOENT' ? new KeyNotFoundError(name) : new Error(`keystore: cannot delete key '${name}'`, { cause: err }))
    }
    await this.syncDir()
  }

  /**
   * One page of key names with `prefix`; dot files (temp files, editors' leftovers) are skipped.
   * Throws UnreachableError when the directory is gone.
   */
  async list(prefix: string, limit: number, signal: AbortSignal): Promise<KeyListPage> {
    checkSignal(signal)
    let entries: string[]
    try {
      entries = await readdir(this.dir)
    } catch (err) {
      throw (await this.dirProblem(err)) ?? new Error('keystore: cannot list keys', { cause: err })
    }
    return listPage(entries.filter((e) => !e.startsWith('.')), prefix, limit)
  }

  /** Nothing to release. */
  async close(): Promise<void> {}

  /** `Filesystem: <dir>`. */
  toString(): string {
    return `Filesystem: ${this.dir}`
  }

  /**
   * An UnreachableError when the key directory itself is missing or not a directory (an
   * unmounted volume, say), so that a vanished directory reads as "store down", not "no key".
   * Only called on error paths, where the extra stat costs nothing that matters.
   */
  private async dirProblem(cause?: unknown): Promise<UnreachableError | undefined> {
    try {
      if ((await stat(this.dir)).isDirectory()) return undefined
    } catch (err) {
      cause ??= err
    }
    return new UnreachableError(`keystore: directory '${this.dir}' is not accessible`, { cause })
  }

  /** Makes a create or delete durable: the directory entry must reach the disk too. */
  private async syncDir(): Promise<void> {
    try {
      const dh = await open(this.dir, 'r')
      try {
        await dh.sync()
      } finally {
        await dh.close()
      }
    } catch (err) {
      throw new Error('keystore: cannot sync the key directory', { cause: err })
    }
  }
}
