// The fingerprint of what `npm run build` compiles (src/, backends/, the tsconfigs and the lockfile):
// every file's path, size and modification time, hashed. scripts/build.js writes it to dist/ after a
// successful build; the launcher runs dist/ only while the sources still have that fingerprint, so an
// edit never runs old code. Stat-only: about 250 files take a few milliseconds.
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The checkout (or installed package) this file belongs to. */
export const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)))

/** stampFile is where a build under `root` records its fingerprint. */
export function stampFile(root = ROOT) {
  return join(root, 'dist', '.build-stamp')
}
const TREES = ['src', 'backends']
const FILES = ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json']

function walk(dir, out) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) walk(path, out)
    else if (entry.isFile()) out.push(path)
  }
}

/** sourceFingerprint returns the hex fingerprint of the build inputs under `root`; throws when src/ cannot be read. */
export function sourceFingerprint(root = ROOT) {
  const files = []
  for (const tree of TREES) if (existsSync(join(root, tree))) walk(join(root, tree), files)
  for (const file of FILES) files.push(join(root, file))
  const hash = createHash('sha256')
  for (const file of files.sort()) {
    let line = `${file.slice(root.length)}\0-\n`
    try {
      const s = statSync(file)
      line = `${file.slice(root.length)}\0${s.size}\0${s.mtimeMs}\n`
    } catch {
      // a missing optional file (no package-lock.json in a package) fingerprints as absent
    }
    hash.update(line)
  }
  return hash.digest('hex')
}

/** builtFingerprint returns the fingerprint the last successful build recorded, or undefined. */
export function builtFingerprint(root = ROOT) {
  try {
    return readFileSync(stampFile(root), 'utf8').trim()
  } catch {
    return undefined
  }
}

/** isBuildCurrent reports whether dist/ was built from the sources as they are now. */
export function isBuildCurrent(root = ROOT) {
  const built = builtFingerprint(root)
  return built !== undefined && built === sourceFingerprint(root)
}
