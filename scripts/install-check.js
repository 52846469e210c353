// Whether node_modules matches package-lock.json, from what npm recorded it installed
// (node_modules/.package-lock.json, the "hidden lockfile" npm 7+ writes on every install).
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * installReason says why `root`'s node_modules needs `npm ci` (absent, not installed by npm, or another
 * version of a package than package-lock.json names), or returns undefined when it matches the lockfile.
 */
export function installReason(root) {
  const modules = join(root, 'node_modules')
  if (!existsSync(modules)) return 'node_modules is missing'
  let wanted, installed
  try {
    wanted = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')).packages ?? {}
  } catch {
    return undefined // no lockfile to install from: leave node_modules alone
  }
  try {
    installed = JSON.parse(readFileSync(join(modules, '.package-lock.json'), 'utf8')).packages ?? {}
  } catch {
    return 'node_modules was not installed by npm from package-lock.json'
  }
  for (const [path, entry] of Object.entries(wanted)) {
    // The root entry describes this package; optional ones (other platforms' binaries) may be absent.
    if (path === '' || entry.optional === true || entry.link === true) continue
    if (installed[path]?.version !== entry.version) return `package-lock.json changed (${path.replace(/^.*node_modules\//, '')})`
  }
  return undefined
}

