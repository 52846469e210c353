// `npm start` and `npm test` run this first (prestart/pretest), so a fresh clone needs nothing else:
//   1. the dependencies: `npm ci` when node_modules is absent or does not match package-lock.json
//      (npm records what it installed in node_modules/.package-lock.json);
//   2. with --build (npm start), the compiled CLIs: `npm run build` when dist/ does not match the sources.
// Each step prints one line while it runs and is skipped in well under a second when nothing changed.
// Uses only Node's standard library: it runs before the dependencies exist.
import { spawnSync } from 'node:child_process'
import { existsSync, lstatSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT, isBuildCurrent } from '../bin/build-stamp.js'

const npm = process.env.npm_execpath
const wantBuild = process.argv.includes('--build')

/** Why node_modules needs an install, or undefined when it matches the lockfile. */
function installReason() {
  const modules = join(ROOT, 'node_modules')
  if (!existsSync(modules)) return 'node_modules is missing'
  let wanted, installed
  try {
    wanted = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')).packages ?? {}
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

function run(note, args) {
  process.stderr.write(`${note}\n`)
  const command = npm === undefined ? 'npm' : process.execPath
  const argv = npm === undefined ? args : [npm, ...args]
  const result = spawnSync(command, argv, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'], shell: npm === undefined && process.platform === 'win32' })
  if (result.status !== 0) {
    process.stderr.write(`keyhold: '${['npm', ...args].join(' ')}' failed (exit ${result.status ?? result.signal}); fix the error above and run it again\n`)
    process.exit(result.status ?? 1)
  }
}

const reason = installReason()
if (reason !== undefined) {
  if (existsSync(join(ROOT, 'node_modules')) && lstatSync(join(ROOT, 'node_modules')).isSymbolicLink()) {
    // A shared node_modules (a git worktree's symlink) belongs to another checkout: never reinstall it.
    process.stderr.write(`keyhold: ${reason}, but node_modules is a symbolic link; not reinstalling it (run 'npm ci' where it points)\n`)
  } else {
    run(`keyhold: installing the dependencies (${reason}): npm ci ...`, ['ci', '--no-audit', '--no-fund'])
  }
}
if (wantBuild && !isBuildCurrent()) {
  const why = existsSync(join(ROOT, 'dist', '.build-stamp')) ? 'the sources changed since the last build' : 'not built yet'
  run(`keyhold: compiling the sources to dist/ (${why}): npm run build ...`, ['run', 'build', '--silent'])
}
