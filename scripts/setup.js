// `npm start` and `npm test` run this first (prestart/pretest), so a fresh clone needs nothing else:
//   1. the dependencies: `npm ci` when node_modules is absent or does not match package-lock.json
//      (npm records what it installed in node_modules/.package-lock.json);
//   2. with --build (npm start), the compiled CLIs: `npm run build` when dist/ does not match the sources.
// Each step prints one line while it runs and is skipped in well under a second when nothing changed.
// Uses only Node's standard library: it runs before the dependencies exist.
import { spawnSync } from 'node:child_process'
import { existsSync, lstatSync } from 'node:fs'
import { join } from 'node:path'
import { ROOT, isBuildCurrent, stampFile } from '../bin/build-stamp.js'
import { installReason } from './install-check.js'

const npm = process.env.npm_execpath
const wantBuild = process.argv.includes('--build')

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

const reason = installReason(ROOT)
if (reason !== undefined) {
  if (existsSync(join(ROOT, 'node_modules')) && lstatSync(join(ROOT, 'node_modules')).isSymbolicLink()) {
    // A shared node_modules (a git worktree's symlink) belongs to another checkout: never reinstall it.
    process.stderr.write(`keyhold: ${reason}, but node_modules is a symbolic link; not reinstalling it (run 'npm ci' where it points)\n`)
  } else {
    run(`keyhold: installing the dependencies (${reason}): npm ci ...`, ['ci', '--no-audit', '--no-fund'])
  }
}
if (wantBuild && !isBuildCurrent()) {
  const why = existsSync(stampFile()) ? 'the sources changed since the last build' : 'not built yet'
  run(`keyhold: compiling the sources to dist/ (${why}): npm run build ...`, ['run', 'build', '--silent'])
}
