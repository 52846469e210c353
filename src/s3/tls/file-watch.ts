/**
 * Change detection by polling: a fingerprint of files and of the files below directories. Polling,
 * not fs.watch, because certificates are rotated by renames, symlink swaps (Kubernetes secrets)
 * and network file systems, which watchers miss; MinIO polls its certificates for the same reason.
 *
 * @module
 */
import { createHash, type Hash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'

/** Files larger than this are fingerprinted by size and time, not content (certificates are small). */
const MAX_CONTENT_BYTES = 1 << 20
/** How deep below a watched directory files count, and how many files at most: a certs dir is small. */
const MAX_DEPTH = 3
const MAX_FILES = 1_000

/**
 * fingerprint hashes the paths, the content of the files among them and of the files below the
 * directories among them (bounded). A missing or unreadable path counts as absent. Never throws.
 */
export function fingerprint(paths: string[]): string {
  const hash = createHash('sha256')
  const budget = { files: MAX_FILES }
  for (const path of paths) visit(hash, path, 0, budget)
  return hash.digest('hex')
}

function visit(hash: Hash, path: string, depth: number, budget: { files: number }): void {
  if (budget.files <= 0) return
  hash.update(`${path}\0`)
  try {
    // statSync follows symlinks, so a swapped `..data` link counts as a change of the files behind it.
    const st = statSync(path)
    if (st.isDirectory()) {
      if (depth >= MAX_DEPTH) return
      for (const name of readdirSync(path).sort()) visit(hash, join(path, name), depth + 1, budget)
    } else if (st.isFile()) {
      budget.files--
      hash.update(st.size > MAX_CONTENT_BYTES ? `${st.size}:${st.mtimeMs}` : readFileSync(path))
    }
  } catch {
    hash.update('\0absent')
  }
  hash.update('\0')
}
