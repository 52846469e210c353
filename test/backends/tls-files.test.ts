import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { loadTlsMaterial } from '../../backends/tls-files.js'
import { testPki, type TestPki } from '../helpers/pki.js'

const work = mkdtempSync(join(tmpdir(), 'keyhold-backend-tls-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))
let pki: TestPki
beforeAll(async () => {
  pki = await testPki()
})

const error = (fn: () => unknown): string => {
  try {
    fn()
  } catch (err) {
    return (err as Error).message
  }
  return 'no error'
}

describe('loadTlsMaterial (the Vault and etcd client TLS)', () => {
  it('reads a client pair that belongs together and the CA files of a directory', () => {
    const cas = join(work, 'cas')
    mkdirSync(cas)
    writeFileSync(join(cas, 'ca.crt'), pki.ca.certPem)
    writeFileSync(join(cas, 'README'), 'our CAs')
    const m = loadTlsMaterial({ cert: pki.clients.app.certFile, key: pki.clients.app.keyFile, ca: cas }, 'vault')
    expect([m.cert?.toString(), m.key?.toString(), m.ca?.map(String)]).toEqual([pki.clients.app.certPem, pki.clients.app.keyPem, [pki.ca.certPem]])
  })

  it('names the file and the problem, never the content', () => {
    expect(error(() => loadTlsMaterial({ cert: pki.clients.app.certFile, key: pki.clients.admin.keyFile }, 'etcd')))
      .toBe(`etcd: private key '${pki.clients.admin.keyFile}' does not belong to certificate '${pki.clients.app.certFile}'`)
    expect(error(() => loadTlsMaterial({ cert: pki.clients.app.certFile, key: join(work, 'missing.key') }, 'vault')))
      .toBe(`vault: cannot read client key '${join(work, 'missing.key')}'`)
    expect(error(() => loadTlsMaterial({ ca: join(work, 'missing-ca.pem') }, 'vault'))).toBe(`vault: cannot read CA certificate '${join(work, 'missing-ca.pem')}'`)
    expect(error(() => loadTlsMaterial({ ca: work + '/cas-none', cert: work, key: work }, 'vault'))).toBe(`vault: cannot read client certificate '${work}'`)
  })
})
