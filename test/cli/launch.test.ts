/**
 * The launcher (bin/launch.js) and the set-up step of `npm start`/`npm test` (scripts/install-check.js):
 * a checkout runs the compiled dist/ only while it matches the sources, never stale code; a fresh clone
 * gets a message that says what to run instead of a module-not-found stack.
 */
import { execFile } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
// @ts-expect-error plain JS without types: it runs before the dependencies (and TypeScript) exist
import { sourceFingerprint, stampFile } from '../../bin/build-stamp.js'
// @ts-expect-error plain JS without types, as above
import { installReason } from '../../scripts/install-check.js'

const REPO = fileURLToPath(new URL('../..', import.meta.url))

/** A checkout in miniature: the real bin/, a CLI entry in src/ and in dist/ that say which one ran. */
function checkout(opts: { source?: boolean; dist?: boolean; modules?: boolean } = {}): string {
  const root = mkdtempSync(join(tmpdir(), 'keyhold-launch-'))
  cpSync(join(REPO, 'bin'), join(root, 'bin'), { recursive: true })
  writeFileSync(join(root, 'package.json'), '{"type":"module"}\n')
  if (opts.source !== false) {
    mkdirSync(join(root, 'src', 'cli', 'keyhold'), { recursive: true })
    writeFileSync(join(root, 'src', 'cli', 'keyhold', 'main.ts'), "const from: string = 'source'\nconsole.log(from)\n")
  }
  if (opts.dist !== false) {
    mkdirSync(join(root, 'dist', 'src', 'cli', 'keyhold'), { recursive: true })
    writeFileSync(join(root, 'dist', 'src', 'cli', 'keyhold', 'main.js'), "console.log('dist')\n")
  }
  if (opts.modules !== false) symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'), 'dir')
  return root
}

function launch(root: string, env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [join(root, 'bin', 'keyhold.js')], { env: { PATH: process.env.PATH, ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      resolve({ code: err === null ? 0 : typeof err.code === 'number' ? err.code : 1, stdout, stderr })
    })
  })
}

describe('bin/launch.js', () => {
  it('runs dist/ only while its build stamp matches the sources, and the sources otherwise', async () => {
    const root = checkout()
    try {
      expect((await launch(root)).stdout).toBe('source\n') // never built
      writeFileSync(stampFile(root), sourceFingerprint(root) + '\n')
      expect((await launch(root)).stdout).toBe('dist\n')
      expect((await launch(root, { KEYHOLD_FROM_SOURCE: '1' })).stdout).toBe('source\n')
      // An edit after the build (a newer modification time) must not run the old build.
      const later = new Date(Date.now() + 5_000)
      utimesSync(join(root, 'src', 'cli', 'keyhold', 'main.ts'), later, later)
      expect((await launch(root)).stdout).toBe('source\n')
      // So must a new file.
      writeFileSync(stampFile(root), sourceFingerprint(root) + '\n')
      writeFileSync(join(root, 'src', 'new.ts'), 'export {}\n')
      expect((await launch(root)).stdout).toBe('source\n')
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  }, 60_000)

  it('runs dist/ in an installed package (no src/), stamp or not', async () => {
    const root = checkout({ source: false })
    try {
      expect(await launch(root)).toEqual({ code: 0, stdout: 'dist\n', stderr: '' })
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  }, 60_000)

  it('says to run npm ci when the dependencies are not installed, instead of a module-not-found stack', async () => {
    const root = checkout({ dist: false, modules: false })
    try {
      const result = await launch(root)
      expect(result.code).toBe(1)
      expect(result.stdout).toBe('')
      expect(result.stderr).toBe(`keyhold: the dependencies are not installed: run 'npm ci' (or 'npm start', which installs them) in ${root}\n`)
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  }, 60_000)
})

describe('scripts/install-check.js', () => {
  const lock = (packages: Record<string, unknown>) => JSON.stringify({ lockfileVersion: 3, packages: { '': { name: 'keyhold' }, ...packages } })

  it('asks for an install when node_modules is absent, not npm-installed, or on other versions', () => {
    const root = mkdtempSync(join(tmpdir(), 'keyhold-install-'))
    try {
      writeFileSync(join(root, 'package-lock.json'), lock({ 'node_modules/yaml': { version: '2.9.1' }, 'node_modules/@esbuild/win32-x64': { version: '0.25.0', optional: true } }))
      expect(installReason(root)).toBe('node_modules is missing')
      mkdirSync(join(root, 'node_modules'))
      expect(installReason(root)).toBe('node_modules was not installed by npm from package-lock.json')
      writeFileSync(join(root, 'node_modules', '.package-lock.json'), lock({ 'node_modules/yaml': { version: '2.8.0' } }))
      expect(installReason(root)).toBe('package-lock.json changed (yaml)')
      // What npm installed matches; another platform's optional binary is rightly absent.
      writeFileSync(join(root, 'node_modules', '.package-lock.json'), lock({ 'node_modules/yaml': { version: '2.9.1' } }))
      expect(installReason(root)).toBeUndefined()
    } finally {
      rmSync(root, { recursive: true, force: true })
    }
  })

  it('finds this checkout installed (so npm test after npm ci installs nothing)', () => {
    expect(installReason(REPO)).toBeUndefined()
  })
})
