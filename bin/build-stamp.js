// The fingerprint of what `npm run build` compiles (src/, backends/, the tsconfigs and the lockfile):
// every file's path, size and modification time, hashed. scripts/build.js writes it to dist/ after a
// successful build; the launcher runs dist/ only while the sources still have that fingerprint, so an
// edit never runs old code. Stat-only: about 250 files take a few milliseconds.
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = fileURLToPath(new URL('..', import.meta.url))
export const STAMP_FILE = join(ROOT, 'dist', '.build-stamp')
const TREES = ['src', 'backends']
const FILES = ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json']

function walk(dir, out) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) walk(path, out)
    else if (entry.isFile()) out.push(path)
  }
}

/** sourceFingerprint returns the hex fingerprint of the build inputs; throws when src/ cannot be read. */
export function sourceFingerprint() {
  const files = []
  for (const tree of TREES) walk(join(ROOT, tree), files)
  for (const file of FILES) files.push(join(ROOT, file))
  const hash = createHash('sha256')
  for (const file of files.sort()) {
    let line = `${file.slice(ROOT.length)}\0-\n`
    try {
      const s = statSync(file)
      line = `${file.slice(ROOT.length)}\0${s.size}\0${s.mtimeMs}\n`
    } catch {
      // a missing optional file (no package-lock.json in a package) fingerprints as absent
    }
    hash.update(line)
  }
  return hash.digest('hex')
}

/** builtFingerprint returns the fingerprint the last successful build recorded, or undefined. */
export function builtFingerprint() {
  try {
    return readFileSync(STAMP_FILE, 'utf8').trim()
  } catch {
    return undefined
  }
}

/** isBuildCurrent reports whether dist/ was built from the sources as they are now. */
export function isBuildCurrent() {
  const built = builtFingerprint()
  return built !== undefined && built === sourceFingerprint()
}
