/**
 * Crash safety of FileKeyStore: a process killed (SIGKILL) at random moments while creating keys
 * must leave only whole key files, and open() must sweep its temp files.
 */
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { FileKeyStore } from '../../backends/fs.js'
import { decodeKeyVersion } from '../../src/kms/crypto/key.js'

const ROUNDS = 5
const repo = join(import.meta.dirname, '..', '..')
const url = (p: string): string => pathToFileURL(join(repo, p)).href

/**
 * The child: opens the store and creates keys until killed (bounded in case it is not). Four
 * loops run at once so that a kill likely lands inside some create, not between two of them.
 */
const CHILD = `
const { FileKeyStore } = await import(${JSON.stringify(url('backends/fs.ts'))})
const { encodeKeyVersion, generateKeyVersion } = await import(${JSON.stringify(url('src/kms/crypto/key.ts'))})
const [dir, round] = process.argv.slice(1)
const store = await FileKeyStore.open(dir)
process.stdout.write('ready\\n')
await Promise.all([0, 1, 2, 3].map(async (w) => {
  for (let i = 0; i < 5000; i++) {
    const name = 'r' + round + '-' + w + '-' + i
    await store.create(name, encodeKeyVersion(generateKeyVersion('crash-test')), AbortSignal.timeout(5000))
  }
}))
`

/**
 * The rotating child: four keys, each rotated (its current value replaced) until killed, as a rotation does
 * through VersionedKeyStore. Each value names its key, so a key found holding another's would show.
 */
const ROTATING_CHILD = `
const { FileKeyStore } = await import(${JSON.stringify(url('backends/fs.ts'))})
const { VersionedKeyStore } = await import(${JSON.stringify(url('src/kms/keystore/versioned-store.ts'))})
const { encodeKeyVersion, generateKeyVersion } = await import(${JSON.stringify(url('src/kms/crypto/key.ts'))})
const [dir] = process.argv.slice(1)
const keys = new VersionedKeyStore(await FileKeyStore.open(dir))
const fresh = (w) => encodeKeyVersion(generateKeyVersion('rotation-' + w))
for (const w of [0, 1, 2, 3]) await keys.create('k' + w, fresh(w), AbortSignal.timeout(5000)).catch(() => {})
process.stdout.write('ready\\n')
await Promise.all([0, 1, 2, 3].map(async (w) => {
  for (let i = 0; i < 5000; i++) {
    const current = await keys.get('k' + w, AbortSignal.timeout(5000))
    await keys.replaceCurrent('k' + w, current, fresh(w), AbortSignal.timeout(5000))
  }
}))
`

/** Runs one child, kills it `delayMs` after it is ready, and resolves when it is gone. */
function runAndKill(dir: string, round: number, delayMs: number, code = CHILD): Promise<'killed after ready'> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code, dir, String(round)], {
      cwd: repo, stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stderr = ''
    let ready = false
    const guard = setTimeout(() => child.kill('SIGKILL'), 20_000) // never outlive the test
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString() })
    child.stdout.once('data', () => {
      ready = true
      setTimeout(() => child.kill('SIGKILL'), delayMs)
    })
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      clearTimeout(guard)
      if (signal === 'SIGKILL' && ready) resolve('killed after ready')
      else reject(new Error(`child ended (code ${code}, signal ${signal}, ready ${ready}): ${stderr}`))
    })
  })
}

describe('FileKeyStore crash safety', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keyhold-crash-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it(`leaves only whole key files after ${ROUNDS} SIGKILLs at random moments`, async () => {
    // The rounds run side by side, each in its own directory: a tsx start-up costs seconds on a
    // busy machine, and the kills still land at independent random moments.
    const dirs = Array.from({ length: ROUNDS }, (_, round) => join(dir, `round-${round}`))
    const delays = dirs.map(() => 20 + Math.floor(Math.random() * 250))
    const signals = await Promise.all(dirs.map((d, round) => runAndKill(d, round, delays[round]!)))
    expect(signals).toEqual(dirs.map(() => 'killed after ready'))

    let keys = 0
    for (const d of dirs) {
      const entries = await readdir(d)
      const names = entries.filter((e) => !e.startsWith('.'))
      for (const e of entries) if (e.startsWith('.')) expect(e).toMatch(/^\.keyhold-tmp-[0-9a-f]{8}-\d+-[0-9a-f]{24}$/)
      for (const name of names) {
        // Every visible key decodes whole: a truncated or empty file would throw here.
        const k = decodeKeyVersion(await readFile(join(d, name)))
        expect(k.key).toHaveLength(32)
        expect(k.createdBy).toBe('crash-test')
      }
      keys += names.length

      const store = await FileKeyStore.open(d)
      expect((await readdir(d)).filter((e) => e.startsWith('.'))).toEqual([])
      expect((await store.list('', 0, AbortSignal.timeout(5000))).names).toEqual([...names].sort())
    }
    expect(keys).toBeGreaterThan(0) // the children did get to write
  })
})

describe('FileKeyStore crash safety of rotations', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keyhold-crash-rotate-'))
  })
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true })
  })

  it(`keeps every key whole at its name through ${ROUNDS} SIGKILLs in the middle of rotations`, async () => {
    // Before: a rotation replaced a key by deleting its file and linking a new one, and a kill in between left
    // the name empty (found by a fault-injection round; a second kill could then lose the key).
    const dirs = Array.from({ length: ROUNDS }, (_, round) => join(dir, `round-${round}`))
    const delays = dirs.map(() => 100 + Math.floor(Math.random() * 400))
    const signals = await Promise.all(dirs.map((d, round) => runAndKill(d, round, delays[round]!, ROTATING_CHILD)))
    expect(signals).toEqual(dirs.map(() => 'killed after ready'))
    for (const d of dirs) {
      for (const w of [0, 1, 2, 3]) {
        const k = decodeKeyVersion(await readFile(join(d, `k${w}`)))
        expect(k.createdBy).toBe(`rotation-${w}`)
      }
    }
  })
})
