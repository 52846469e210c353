/**
 * Optional Vault Transit wrapping, as KES does it: the stored value is the transit ciphertext of
 * base64(encoded key). KES hard-codes key version 1 (`vault:v1:`); so do we, to stay compatible.
 *
 * @module
 */
import { escapePath } from './auth.js'
import type { KvRequest } from './kv.js'
import type { VaultResponse } from './client.js'
import type { VaultTransitConfig } from './config.js'
import { vaultErrors } from './errors.js'
import { serverText } from '../server-text.js'

const V1 = 'vault:v1:'

/** encryptRequest asks transit to encrypt the stored string. */
export function encryptRequest(t: VaultTransitConfig, stored: string): KvRequest {
  return {
    method: 'PUT',
    path: '/v1/' + escapePath(t.engine, 'encrypt', t.key),
    body: { plaintext: Buffer.from(stored, 'utf8').toString('base64') },
  }
}

/** parseEncrypt returns the ciphertext. Throws an Error unless Vault answered 200 with `vault:v1:...`. */
export function parseEncrypt(res: VaultResponse): string {
  const ct = (res.body as { data?: { ciphertext?: unknown } } | undefined)?.data?.ciphertext
  if (res.status !== 200 || typeof ct !== 'string' || !ct.startsWith(V1)) {
    throw new Error(`vault: transit encrypt: invalid vault response (HTTP ${res.status}${detail(res)})`)
  }
  return ct
}

/** decryptRequest asks transit to decrypt a stored ciphertext. */
export function decryptRequest(t: VaultTransitConfig, ciphertext: string): KvRequest {
  return { method: 'PUT', path: '/v1/' + escapePath(t.engine, 'decrypt', t.key), body: { ciphertext } }
}

/** parseDecrypt returns the stored string that was wrapped. Throws an Error unless Vault answered 200 with a plaintext. */
export function parseDecrypt(res: VaultResponse): string {
  const pt = (res.body as { data?: { plaintext?: unknown } } | undefined)?.data?.plaintext
  if (res.status !== 200 || typeof pt !== 'string') {
    throw new Error(`vault: transit decrypt: invalid vault response (HTTP ${res.status}${detail(res)})`)
  }
  return Buffer.from(pt, 'base64').toString('utf8')
}

function detail(res: VaultResponse): string {
  const errors = vaultErrors(res.body)
  return errors && errors.length > 0 ? `: ${serverText(errors.join('; '))}` : ''
}
