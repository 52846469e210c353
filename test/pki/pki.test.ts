import { X509Certificate } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { apiKeyCertificate, apiKeyIdentity, identityOfCertificate, newApiKey, parseApiKey } from '../../src/pki/index.js'
import { testPki } from '../helpers/pki.js'

describe('pki', () => {
  it('derives the identity of an API key as KES does (SHA-256 of the Ed25519 SPKI)', async () => {
    // Independent derivation: SPKI = fixed 12-byte prefix ‖ raw public key (RFC 8410).
    const apiKey = newApiKey()
    const raw = parseApiKey(apiKey).publicKey.export({ format: 'jwk' }).x!
    const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), Buffer.from(raw, 'base64url')])
    const { createHash } = await import('node:crypto')
    expect(apiKeyIdentity(apiKey)).toBe(createHash('sha256').update(spki).digest('hex'))
    const { certPem, identity } = await apiKeyCertificate(apiKey)
    expect(identityOfCertificate(certPem)).toBe(identity)
    expect(new X509Certificate(certPem).subject).toBe(`CN=${identity}`)
  })

  it('rejects malformed API keys', () => {
    expect(() => parseApiKey('kes:v1:AAAA')).toThrow('invalid length')
    expect(() => parseApiKey('kes:v1:' + Buffer.alloc(33, 1).toString('base64'))).toThrow('unsupported type')
  })

  it('issues a CA-signed server certificate that verifies', async () => {
    const pki = await testPki()
    const ca = new X509Certificate(pki.ca.certPem)
    const server = new X509Certificate(pki.server.certPem)
    expect(server.verify(ca.publicKey)).toBe(true)
    expect(server.checkHost('localhost')).toBe('localhost')
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1')
    expect(ca.ca).toBe(true)
    expect(pki.clients.admin.identity).toMatch(/^[0-9a-f]{64}$/)
  })
})
