/**
 * The shared-keystore bound: which keystores it applies to, the start-up line, and the delete
 * answer's header with its parser (an attacker-controlled server may send anything there).
 */
import { describe, expect, it } from 'vitest'
import {
  parseSharedKeystoreHeader, sharedKeystoreBoundMs, sharedKeystoreHeader, sharedKeystoreWarning,
} from '../../../src/kms/config/shared-keystore.js'
import type { ServerConfig } from '../../../src/kms/config/types.js'

const vault = { kind: 'vault' } as ServerConfig['keystore']
const cfg = (keystore: ServerConfig['keystore'], anyMs: number) => ({ keystore, cache: { anyMs, unusedMs: 30_000, offlineMs: 0 } })

describe('shared keystore bound', () => {
  it('applies to Vault only: an fs directory or memory belongs to one server', () => {
    expect(sharedKeystoreBoundMs(cfg(vault, 300_000))).toBe(300_000)
    expect(sharedKeystoreBoundMs(cfg(vault, 0))).toBe(Infinity)
    expect(sharedKeystoreBoundMs(cfg({ kind: 'fs', path: '/k' }, 300_000))).toBeUndefined()
    expect(sharedKeystoreBoundMs(cfg({ kind: 'memory' }, 300_000))).toBeUndefined()
    expect(sharedKeystoreHeader(cfg({ kind: 'fs', path: '/k' }, 300_000))).toBeUndefined()
  })

  it('warns at start-up in one line when the bound is long, not when it is short', () => {
    const line = sharedKeystoreWarning(cfg(vault, 300_000))!
    expect(line).toBe(
      'keyhold: note: the vault keystore can be shared by several Keyhold servers; a key deleted or re-created through another server ' +
        'stays usable, with its old material, on this one for up to 300s (cache.expiry.any): lower cache.expiry.any if servers share it',
    )
    expect(sharedKeystoreWarning(cfg(vault, 0))).toContain('for ever (cache.expiry.any is off)')
    expect(sharedKeystoreWarning(cfg(vault, 60_000))).toBeUndefined()
    expect(sharedKeystoreWarning(cfg({ kind: 'fs', path: '/k' }, 3_600_000))).toBeUndefined()
  })

  it('round-trips the header and ignores anything else a server might send', () => {
    expect(parseSharedKeystoreHeader(sharedKeystoreHeader(cfg(vault, 299_500)))).toBe(300)
    expect(parseSharedKeystoreHeader(sharedKeystoreHeader(cfg(vault, 0)))).toBe(Infinity)
    for (const junk of [undefined, '', 'cache-expiry-any=', 'cache-expiry-any=-1', 'cache-expiry-any=1e9', 'cache-expiry-any=9999999999999', 'x=1', ['cache-expiry-any=1']]) {
      expect(parseSharedKeystoreHeader(junk)).toBeUndefined()
    }
  })
})
