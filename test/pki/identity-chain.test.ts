/**
 * The identity rule on certificates the handshake parsed already (`identityOfParsedChain`, what the
 * KMS runs per connection) gives the same answer as on certificates parsed from scratch
 * (`identityOfChain`) for the chains an attacker sends first: a CA-flagged first certificate, a
 * victim's certificate behind one's own, and the ordinary leaf-then-CA chain.
 */
import { X509Certificate } from 'node:crypto'
import { beforeAll, describe, expect, it } from 'vitest'
import { identityOfCertificate, identityOfChain, identityOfParsedChain } from '../../src/pki/identity.js'
import { craft, testCaSigner, type Crafted } from '../helpers/hostile-certs.js'
import { testPki } from '../helpers/pki.js'

let leaf: Crafted
let victim: Crafted
let ownCa: Crafted
let caPem: string

beforeAll(async () => {
  const pki = await testPki()
  caPem = pki.ca.certPem
  leaf = await craft({ subject: 'CN=attacker,O=Keyhold Test', ca: false, usage: 'digitalSignature', signer: testCaSigner(pki) })
  victim = await craft({ subject: 'CN=victim,O=Keyhold Test', ca: false, usage: 'none', signer: testCaSigner(pki) })
  // KES's rule would skip this CA certificate and take the victim's identity from the one after it.
  ownCa = await craft({ subject: 'CN=attacker-ca,O=Keyhold Test', issuerName: 'CN=victim,O=Keyhold Test', ca: true, usage: 'keyCertSign' })
})

/** The chain as the handshake hands it over: DER plus OpenSSL's CA flag. */
const parsed = (pems: string[]) => pems.map((p) => new X509Certificate(p)).map((x) => ({ raw: x.raw, ca: x.ca }))

describe('identityOfParsedChain', () => {
  it('refuses what identityOfChain refuses, with the same reason', () => {
    const chains: Array<[string, string[]]> = [
      ['empty', []],
      ['own CA first, victim behind it', [ownCa.certPem, victim.certPem]],
      ['leaf then a victim leaf', [leaf.certPem, victim.certPem]],
      ['CA first alone', [caPem]],
    ]
    for (const [name, pems] of chains) {
      const expected = identityOfChain(pems)
      expect({ name, result: identityOfParsedChain(parsed(pems)) }).toEqual({ name, result: expected })
      expect('refused' in expected).toBe(true)
    }
  })

  it('gives the first certificate identity, never a later one', () => {
    expect(identityOfParsedChain(parsed([leaf.certPem, caPem]))).toEqual({ identity: leaf.identity })
    expect(identityOfParsedChain(parsed([leaf.certPem]))).toEqual({ identity: identityOfCertificate(leaf.certPem) })
    expect(leaf.identity).not.toBe(victim.identity)
  })

  it('throws for DER that is not a certificate rather than inventing an identity', () => {
    expect(() => identityOfParsedChain([{ raw: Buffer.from('not a certificate'), ca: false }])).toThrow()
  })
})
