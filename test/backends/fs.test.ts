import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdir, mkdtemp, readdir, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises'
import { hostname, tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { FileKeyStore } from '../../backends/fs.js'
import {
  type KeyStore, KeyExistsError, KeyNotFoundError, UnreachableError,
} from '../../src/kms/keystore/keystore.js'
import { keystoreContract } from './contract.js'
import { fillDisk, mountTmpfs } from '../helpers/tmpfs.js'

const signal = (): AbortSignal => AbortSignal.timeout(10_000)
const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)

keystoreContract('fs', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'keyhold-fs-contract-'))
  return { store: await FileKeyStore.open(dir), cleanup: () => rm(dir, { recursive: true, force: true }) }
}, { replace: true })

describe('FileKeyStore', () => {
  let root: string
  let dir: string
  let store: FileKeyStore

  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'keyhold-fs-'))
    dir = join(root, 'nested', 'keys')
    store = await FileKeyStore.open(dir)
  })
  afterEach(async () => {
    await rm(root, { recursive: true, force: true })
  })

  it('creates its directory with mode 0700 and reports its path', async () => {
    expect((await stat(dir)).mode & 0o777).toBe(0o700)
    expect(store.toString()).toBe(`Filesystem: ${dir}`)
    const asInterface: KeyStore = store
    expect(asInterface).toBe(store)
  })

  it('writes one file per key, named after the key, mode 0600, holding the value', async () => {
    await store.create('my-key', bytes('encoded'), signal())
    expect(await readdir(dir)).toEqual(['my-key'])
    expect((await stat(join(dir, 'my-key'))).mode & 0o777).toBe(0o600)
    expect(await readFile(join(dir, 'my-key'), 'utf8')).toBe('encoded')
  })

  it('refuses a path that is not a directory', async () => {
    const file = join(root, 'file')
    await writeFile(file, 'x')
    await expect(FileKeyStore.open(file)).rejects.toThrow()
  })

  const BAD_NAMES = ['', '.', '..', '../escape', 'a/b', '/abs', 'a\\b', 'a.b', '.hidden', 'ä', 'a b', 'a\0b', 'tab\t']
  for (const name of BAD_NAMES) {
    it(`rejects the name ${JSON.stringify(name)} on every call with a plain Error`, async () => {
      for (const call of [
        () => store.create(name, bytes('x'), signal()),
        () => store.get(name, signal()),
        () => store.delete(name, signal()),
      ]) {
        const err = await call().then(() => undefined, (e: unknown) => e)
        expect(err).toBeInstanceOf(Error)
        expect(err).not.toBeInstanceOf(KeyExistsError)
        expect(err).not.toBeInstanceOf(KeyNotFoundError)
        expect((err as Error).message).toBe('keystore: invalid key name')
      }
      expect(await readdir(root)).toEqual(['nested'])
      expect(await readdir(dir)).toEqual([])
    })
  }

  it('removes temp files no live writer owns on open and never lists dot files', async () => {
    const host = createHash('sha256').update(hostname()).digest('hex').slice(0, 8)
    const rand = '0123456789abcdef01234567'
    const deadPid = spawnSync(process.execPath, ['-e', '']).pid!
    const dead = `.keyhold-tmp-${host}-${deadPid}-${rand}`
    const live = `.keyhold-tmp-${host}-${process.ppid}-${rand}` // a writer that is still running
    const otherHost = `.keyhold-tmp-ffffffff-${deadPid}-${rand}` // its PID means nothing here
    const oldLegacy = '.keyhold-tmp-0123456789abcdef'
    const freshLegacy = '.keyhold-tmp-fedcba9876543210'
    await store.create('real', bytes('v'), signal())
    for (const f of [dead, live, otherHost, oldLegacy, freshLegacy, '.keep']) await writeFile(join(dir, f), 'partial')
    const longAgo = new Date(Date.now() - 11 * 60_000)
    await utimes(join(dir, oldLegacy), longAgo, longAgo)
    expect((await store.list('', 0, signal())).names).toEqual(['real'])

    const reopened = await FileKeyStore.open(dir)
    expect((await readdir(dir)).sort()).toEqual([freshLegacy, live, otherHost, '.keep', 'real'].sort())
    expect(await reopened.get('real', signal())).toEqual(bytes('v'))
    await FileKeyStore.open(dir, { sweep: false })
    expect(await readdir(dir)).toHaveLength(5)
  })

  it('leaves no temp file behind after a create, a failed create or a duplicate', async () => {
    await store.create('k', bytes('1'), signal())
    await expect(store.create('k', bytes('2'), signal())).rejects.toBeInstanceOf(KeyExistsError)
    expect(await readdir(dir)).toEqual(['k'])
    expect(await readFile(join(dir, 'k'), 'utf8')).toBe('1')
  })

  it('reads files up to 1 MiB and refuses bigger ones', async () => {
    await writeFile(join(dir, 'max'), Buffer.alloc(1 << 20, 0x41))
    await writeFile(join(dir, 'over'), Buffer.alloc((1 << 20) + 1, 0x41))
    expect((await store.get('max', signal())).length).toBe(1 << 20)
    const err = await store.get('over', signal()).then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(Error)
    expect(err).not.toBeInstanceOf(KeyNotFoundError)
  })

  it('turns a directory in place of a key into a plain Error, not not-found', async () => {
    await mkdir(join(dir, 'weird'))
    const err = await store.get('weird', signal()).then(() => undefined, (e: unknown) => e)
    expect(err).toBeInstanceOf(Error)
    expect(err).not.toBeInstanceOf(KeyNotFoundError)
  })

  it('is unreachable, not "key not found", when its directory disappears or is replaced', async () => {
    await store.create('k', bytes('v'), signal())
    for (const breakDir of [() => rm(dir, { recursive: true }), () => writeFile(dir, 'not a directory')]) {
      await breakDir()
      await expect(store.status(signal())).rejects.toBeInstanceOf(UnreachableError)
      await expect(store.list('', 0, signal())).rejects.toBeInstanceOf(UnreachableError)
      await expect(store.create('k2', bytes('v'), signal())).rejects.toBeInstanceOf(UnreachableError)
      await expect(store.get('k', signal())).rejects.toBeInstanceOf(UnreachableError)
      await expect(store.delete('k', signal())).rejects.toBeInstanceOf(UnreachableError)
    }
    await rm(dir)
    await mkdir(dir)
    expect((await store.status(signal())).latencyMs).toBeGreaterThanOrEqual(0) // recovers
    await expect(store.get('k', signal())).rejects.toBeInstanceOf(KeyNotFoundError)
  })

  it('keeps keys across reopen', async () => {
    await store.create('durable', bytes('value'), signal())
    const again = await FileKeyStore.open(dir)
    expect(await again.get('durable', signal())).toEqual(bytes('value'))
    await again.delete('durable', signal())
    await expect(store.get('durable', signal())).rejects.toBeInstanceOf(KeyNotFoundError)
  })
})

describe('FileKeyStore on a full disk (a tmpfs filled up; needs root)', () => {
  it('says "exists" for a key it holds, names ENOSPC for a new one, and replaces nothing by half', async (t) => {
    const tmpfs = mountTmpfs(1)
    if (tmpfs.skip !== undefined) return t.skip(tmpfs.skip)
    try {
      const store = await FileKeyStore.open(join(tmpfs.dir, 'keys'))
      await store.create('held', bytes('old'), signal())
      // Fill the disk: a server start creates its configured keys, and must find them existing, not fail.
      fillDisk(join(tmpfs.dir, 'ballast'))
      await expect(store.create('held', bytes('again'), signal())).rejects.toBeInstanceOf(KeyExistsError)
      await expect(store.create('fresh', bytes('x'.repeat(8192)), signal())).rejects.toThrow(/cannot create key 'fresh' \(ENOSPC\)/)
      await expect(store.replace('held', bytes('old'), bytes('y'.repeat(8192)), signal())).rejects.toThrow(/cannot replace key 'held' \(ENOSPC\)/)
      expect(new TextDecoder().decode(await store.get('held', signal()))).toBe('old')
      expect((await readdir(join(tmpfs.dir, 'keys'))).sort()).toEqual(['held'])
    } finally {
      tmpfs.unmount()
    }
  })
})
