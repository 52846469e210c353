/**
 * Where the keyhold package is on disk, from any of its modules: the sources (`src/…`) and the
 * compiled tree (`dist/src/…`) sit at different depths below it, so a fixed `../..` is right in one
 * of them only.
 *
 * @module
 */
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The package's name in its package.json: the marker of the root. */
const PACKAGE_NAME = 'keyhold'

/** What {@link findPackage} found: the root directory and the package's version. */
export interface PackageInfo {
  root: string
  version: string
}

/**
 * findPackage walks up from module `moduleUrl` (its `import.meta.url`) to the nearest directory whose
 * package.json names the keyhold package. Returns undefined when there is none (a bundled copy without
 * its package.json). Throws nothing.
 */
export function findPackage(moduleUrl: string | URL): PackageInfo | undefined {
  let dir = dirname(fileURLToPath(moduleUrl))
  for (;;) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown }
      if (pkg.name === PACKAGE_NAME) return { root: dir, version: typeof pkg.version === 'string' ? pkg.version : '' }
    } catch {
      // no package.json here, or not JSON: look further up
    }
    const up = dirname(dir)
    if (up === dir) return undefined
    dir = up
  }
}
