/**
 * The pieces under rotation, with a memory keystore: version entry names (no KES name can take
 * one, and the parse never confuses two keys), the versioned keystore (hides entries, deletes
 * versions before the key), rotation's recovery from a crash after it claimed a version, and the
 * version limit.
 */
import { describe, expect, it } from 'vitest'
import { MemoryKeyStore } from '../../../backends/memory.js'
import { isValidName } from '../../../src/kms/api/validate.js'
import { decodeKeyVersion, encodeKeyVersion, generateKeyVersion } from '../../../src/kms/crypto/key.js'
import { KeyCache } from '../../../src/kms/keystore/cache.js'
import { readVersions } from '../../../src/kms/keystore/key-versions.js'
import { rotateKey, TooManyVersionsError } from '../../../src/kms/keystore/rotate.js'
import { parseVersionEntry, pendingEntry, versionEntry, versionsIn } from '../../../src/kms/keystore/version-names.js'
import { VersionedKeyStore } from '../../../src/kms/keystore/versioned-store.js'

const signal = () => AbortSignal.timeout(5000)

function setup() {
  const backend = new MemoryKeyStore()
  const keys = new KeyCache(new VersionedKeyStore(backend), { anyMs: 60_000, unusedMs: 0, offlineMs: 0, probeMs: 0 })
  return { backend, keys }
}

describe('version entry names', () => {
  it('are never valid KES names, and parse back to their key and version', () => {
    for (const name of ['a', 'my-key', 'a-v2', 'x_1', 'k'.repeat(80), 'a-v1-v2']) {
      for (const v of [1, 2, 10, 999_999_999]) {
        const entry = versionEntry(name, v)
        expect(isValidName(entry)).toBe(false)
        expect(parseVersionEntry(entry)).toEqual({ name, version: v })
      }
      expect(isValidName(pendingEntry(name))).toBe(false)
      expect(parseVersionEntry(pendingEntry(name))).toBeUndefined()
    }
  })

  it('keeps the versions of different keys apart in one listing', () => {
    const listing = ['a', 'a-v1-', 'a-v2-', 'a-v2', 'a-v2-v1-', 'a-vault', 'a-v3', 'a-v0-', 'a-v01-', 'a-vx-', 'a-v2-next-', '-v1-']
    expect(versionsIn(listing, 'a')).toEqual([2, 1])
    expect(versionsIn(listing, 'a-v2')).toEqual([1])
  })

  it('refuses versions outside 1 … 999,999,999', () => {
    for (const v of [0, -1, 1.5, 1_000_000_000]) expect(() => versionEntry('a', v)).toThrow(RangeError)
  })
})

describe('VersionedKeyStore and rotateKey', () => {
  it('hides entries from listings and deletes every version before the key', async () => {
    const { backend, keys } = setup()
    await keys.create('k', generateKeyVersion('t'), signal())
    await keys.create('k-v2', generateKeyVersion('t'), signal())
    await rotateKey(keys, 'k', 't', signal())
    await rotateKey(keys, 'k-v2', 't', signal())
    expect((await keys.list('', 0, signal())).names).toEqual(['k', 'k-v2'])
    await keys.delete('k', signal())
    // Key k-v2 and its versions are untouched by deleting k.
    expect((await backend.list('', 0, signal())).names).toEqual(['k-v2', 'k-v2-v1-', 'k-v2-v2-'])
  })

  it('finishes a rotation that stopped after claiming its version, then rotates', async () => {
    const { backend, keys } = setup()
    const original = generateKeyVersion('t')
    await keys.create('k', original, signal())
    // A crash after steps 2 and 3: v1 archived, v2 claimed, the name still holds v1.
    const claimed = generateKeyVersion('t')
    await backend.create('k-v1-', encodeKeyVersion(original), signal())
    await backend.create('k-v2-', encodeKeyVersion(claimed), signal())
    const r = await rotateKey(keys, 'k', 't', signal())
    expect(r?.version).toBe(3)
    const versions = await readVersions(keys, 'k', decodeKeyVersion(await backend.get('k', signal())), signal())
    expect(versions.current).toBe(3)
    expect(versions.versions.map((v) => v.version)).toEqual([3, 2, 1])
    expect(Buffer.from(versions.versions[1]!.key.key)).toEqual(Buffer.from(claimed.key))
    expect((await backend.list('k-next', 0, signal())).names).toEqual([])
  })

  it('skips a key that another process rotated since it was found due', async () => {
    const { keys } = setup()
    await keys.create('k', generateKeyVersion('t'), signal())
    expect(await rotateKey(keys, 'k', 't', signal(), { onlyIfCreatedBefore: new Date(Date.now() - 60_000) })).toBeUndefined()
    expect(await rotateKey(keys, 'k', 't', signal(), { onlyIfCreatedBefore: new Date(Date.now() + 1000) })).toMatchObject({ version: 2 })
  })

  it('refuses to go past the version limit', async () => {
    const { keys } = setup()
    await keys.create('k', generateKeyVersion('t'), signal())
    await rotateKey(keys, 'k', 't', signal(), { maxVersions: 3 })
    await rotateKey(keys, 'k', 't', signal(), { maxVersions: 3 })
    await expect(rotateKey(keys, 'k', 't', signal(), { maxVersions: 3 })).rejects.toThrow(TooManyVersionsError)
  })

  it('keeps the algorithm of a ChaCha20 key', async () => {
    const { backend, keys } = setup()
    await keys.create('c', generateKeyVersion('t', 'ChaCha20'), signal())
    await rotateKey(keys, 'c', 't', signal())
    expect(decodeKeyVersion(await backend.get('c', signal())).algorithm).toBe('ChaCha20')
  })
})
