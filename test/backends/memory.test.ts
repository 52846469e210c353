import { describe, expect, it } from 'vitest'
import { MemoryKeyStore } from '../../backends/memory.js'
import type { KeyStore } from '../../src/kms/keystore/keystore.js'
import { keystoreContract } from './contract.js'

keystoreContract('memory', async () => ({ store: new MemoryKeyStore(), cleanup: async () => {} }), { replace: true })

describe('MemoryKeyStore', () => {
  it('implements KeyStore', () => {
    const store: KeyStore = new MemoryKeyStore()
    expect(store.toString()).toBe('In-Memory')
  })

  it('keeps stores apart', async () => {
    const a = new MemoryKeyStore()
    const b = new MemoryKeyStore()
    await a.create('k', Uint8Array.of(1), AbortSignal.timeout(1000))
    expect((await b.list('', 0, AbortSignal.timeout(1000))).names).toEqual([])
  })
})
