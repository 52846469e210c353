/**
 * Two servers' versioned keystores over one keystore (as two Keyhold servers over one etcd), at the steps an
 * attack found: a deletion on one finishing its clean-up while the other creates the name anew and rotates
 * it, and the purge's removal of leftovers while a key of the name exists.
 */
import { describe, expect, it } from 'vitest'
import { MemoryKeyStore } from '../../../backends/memory.js'
import { VersionedKeyStore } from '../../../src/kms/keystore/versioned-store.js'
import { Steps } from '../rotation/steps.js'

const signal = () => AbortSignal.timeout(5_000)
const bytes = (s: string) => new TextEncoder().encode(s)
const text = (b: Uint8Array) => new TextDecoder().decode(b)

/** A memory keystore (conditional replace included, as etcd) whose reads can be followed by a hook. */
class SteppedStore extends MemoryKeyStore {
  readonly steps = new Steps()
  override async get(name: string, s: AbortSignal): Promise<Uint8Array> {
    try {
      return await super.get(name, s)
    } finally {
      await this.steps.done('get', name)
    }
  }
}

describe('versioned keystores of two servers over one keystore', () => {
  it('a deletion\'s clean-up leaves the versions of a key created anew after its check', async () => {
    const shared = new SteppedStore()
    const a = new VersionedKeyStore(shared)
    const b = new VersionedKeyStore(shared)
    await a.create('k', bytes('old-2'), signal())
    await shared.create('k-v1-', bytes('old-1'), signal())
    await shared.create('k-v2-', bytes('old-2'), signal())
    // A found the name gone; before it removes the versions it read, B creates the name and rotates the new key.
    shared.steps.after.set('get k', async () => {
      await b.create('k', bytes('new-2'), signal())
      await shared.create('k-v1-', bytes('new-1'), signal())
      await shared.create('k-v2-', bytes('new-2'), signal())
    })
    await a.delete('k', signal())
    expect(text(await shared.get('k', signal()))).toBe('new-2')
    expect(text(await shared.get('k-v1-', signal()))).toBe('new-1')
    expect(text(await shared.get('k-v2-', signal()))).toBe('new-2')
  })

  it('removing leftovers never removes a key of the name, nor its versions', async () => {
    const shared = new MemoryKeyStore()
    const store = new VersionedKeyStore(shared)
    await store.create('k', bytes('current'), signal())
    await shared.create('k-v1-', bytes('first'), signal())
    await store.removeLeftovers('k', signal())
    expect((await shared.list('k', 0, signal())).names).toEqual(['k', 'k-v1-'])
    await shared.delete('k', signal())
    await store.removeLeftovers('k', signal())
    expect((await shared.list('k', 0, signal())).names).toEqual([])
  })
})
