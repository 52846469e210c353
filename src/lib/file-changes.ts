/**
 * The one change detector for files that are reloaded while a server runs (TLS certificates and keys, CAs,
 * the KMS policy file): a poll comparing a content fingerprint of the files, optionally nudged by fs.watch.
 *
 * Why a fingerprint poll: certificates are replaced by rename (editors, cert-manager, `mv`), by symlink swaps
 * (Kubernetes secrets switch a `..data` link) and on network file systems. An fs.watch on a file ends with the
 * inode it watched, and a watch on a directory sees nothing of a change behind a symlink or on NFS; a poll of
 * the content (symlinks followed) sees all of them, and a content hash fires only when something really
 * changed, not on a `touch`. MinIO polls its certificates for the same reason. Where a quick reaction matters
 * (a policy file edited by hand) fs.watch on the parent directories nudges an early poll; it is never needed
 * for correctness.
 *
 * @module
 */
import { createHash, type Hash } from 'node:crypto'
import { readdirSync, statSync, watch, type FSWatcher } from 'node:fs'
import { dirname, join } from 'node:path'
import { readBounded, TlsFileError } from './tls-files.js'

/** Files larger than this are fingerprinted by size and time, not content (certificates are small). */
const MAX_CONTENT_BYTES = 1 << 20
/** How deep below a watched directory files count, and how many files at most: a certs dir is small. */
const MAX_DEPTH = 3
const MAX_FILES = 1_000

/**
 * fingerprint hashes the paths, the content of the files among them and of the files below the
 * directories among them (bounded: depth, file count, content size). Symlinks are followed, so a swapped
 * link counts as a change of the files behind it. A missing, unreadable or non-regular path counts as
 * absent. Never throws, never blocks on a FIFO.
 */
export function fingerprint(paths: readonly string[]): string {
  const hash = createHash('sha256')
  const budget = { files: MAX_FILES }
  for (const path of paths) visit(hash, path, 0, budget)
  return hash.digest('hex')
}

function visit(hash: Hash, path: string, depth: number, budget: { files: number }): void {
  if (budget.files <= 0) return
  hash.update(`${path}\0`)
  try {
    const st = statSync(path)
    if (st.isDirectory()) {
      if (depth >= MAX_DEPTH) return
      for (const name of readdirSync(path).sort()) visit(hash, join(path, name), depth + 1, budget)
    } else if (st.isFile()) {
      budget.files--
      hash.update(st.size > MAX_CONTENT_BYTES ? `${st.size}:${st.mtimeMs}` : contentOf(path, st))
    }
  } catch {
    hash.update('\0absent')
  }
  hash.update('\0')
}

function contentOf(path: string, st: { size: number; mtimeMs: number }): Buffer | string {
  try {
    return readBounded(path, MAX_CONTENT_BYTES)
  } catch (err) {
    // Grown past the limit since the stat: size and time, as for any large file.
    if (err instanceof TlsFileError && err.code === 'EFBIG') return `${st.size}:${st.mtimeMs}`
    throw err
  }
}

/** Options of {@link watchFileChanges}. */
export interface FileChangeOptions {
  /** Poll interval in ms; 0 turns polling (and the nudge) off, leaving only {@link FileChangeWatch.check}. */
  pollMs: number
  /** Also watch the parent directories (and watched directories) with fs.watch to poll early. Default false. */
  nudge?: boolean
  /** How long a burst of fs.watch events is let settle before the early poll (default 200 ms). */
  debounceMs?: number
  /**
   * How long the files must stay unchanged before a change counts (default 0: at once). A file rewritten in
   * place (`cat >`, some config tools, network file systems) can be read half-written, and half a policy file
   * is often valid YAML that allows what its missing `deny:` lines would refuse.
   */
  settleMs?: number
}

/** A running change watch. */
export interface FileChangeWatch {
  /** check compares the files with what was last seen now, and calls onChange when they differ. Never throws. */
  check(): void
  /** mark takes the files as they are now as seen (e.g. before a reload that was not caused by this watch). */
  mark(): void
  close(): void
}

/**
 * watchFileChanges calls `onChange` once per change of the files `paths` name (files, or directories whose
 * files count), once they stayed unchanged for `settleMs`: the fingerprint that triggered a call is the one
 * compared with next, so one change fires once
 * however long the reload takes, and a reload that fails is not retried until the files change again.
 * Throws nothing: a failed fs.watch just leaves the poll.
 */
export function watchFileChanges(paths: readonly string[], onChange: () => void, opts: FileChangeOptions): FileChangeWatch {
  let seen = fingerprint(paths)
  let closed = false
  const settleMs = opts.settleMs ?? 0
  // A change seen but not yet settled: its fingerprint and since when the files have looked so.
  let pending: { print: string; since: number } | undefined
  let settle: NodeJS.Timeout | undefined
  const checkLater = (ms: number): void => {
    clearTimeout(settle)
    settle = setTimeout(check, ms).unref()
  }
  const check = (): void => {
    if (closed) return
    const now = fingerprint(paths)
    if (now === seen) {
      pending = undefined
      return
    }
    if (settleMs > 0) {
      if (pending?.print !== now) pending = { print: now, since: Date.now() }
      const left = pending.since + settleMs - Date.now()
      if (left > 0) return checkLater(left)
    }
    pending = undefined
    seen = now
    onChange()
  }
  const timer = opts.pollMs > 0 ? setInterval(check, opts.pollMs).unref() : undefined
  let debounce: NodeJS.Timeout | undefined
  const nudge = (): void => {
    clearTimeout(debounce)
    debounce = setTimeout(check, opts.debounceMs ?? 200).unref()
  }
  const watchers = opts.nudge === true && opts.pollMs > 0 ? watchDirectories(paths, nudge) : []
  return {
    check,
    mark() {
      seen = fingerprint(paths)
    },
    close() {
      closed = true
      clearInterval(timer)
      clearTimeout(debounce)
      clearTimeout(settle)
      for (const w of watchers) w.close()
    },
  }
}

// The parent directory of each path (a rename or a link swap replaces the entry there) and each path that is
// a directory itself. Events only nudge a poll, so which file an event names does not matter.
function watchDirectories(paths: readonly string[], onEvent: () => void): FSWatcher[] {
  const dirs = new Set<string>()
  for (const path of paths) {
    dirs.add(dirname(path))
    try {
      if (statSync(path).isDirectory()) dirs.add(path)
    } catch {
      // not there yet: its parent is watched
    }
  }
  const watchers: FSWatcher[] = []
  for (const dir of dirs) {
    try {
      const w = watch(dir, { persistent: false }, onEvent)
      w.on('error', () => w.close())
      watchers.push(w)
    } catch {
      // an unwatchable directory is still polled
    }
  }
  return watchers
}
