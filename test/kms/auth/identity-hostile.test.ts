/**
 * The identity rule against an attacker who holds a victim's (public) certificate but not its
 * private key. Each hostile chain is presented over real mutual TLS to servers whose admin is the
 * victim, with `tls.auth: off` and `on`, for victim certificates without a keyUsage extension,
 * with keyCertSign and with digitalSignature only. Every refusal is checked for its exact status
 * and text and for its audit record (no identity, never the victim's).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createKmsObservability, type KmsObservability } from '../../../src/kms/observability/kms.js'
import { asClient, craft, testCaSigner, type Crafted, type UsageShape } from '../../helpers/hostile-certs.js'
import { testPki, type TestCert, type TestPki } from '../../helpers/pki.js'
import { startTestServer, type TestServer } from '../../helpers/server.js'
import { cli } from '../../cli/run.js'

const CERT_REQUIRED = { message: 'tls: client certificate is required' }
const TOO_MANY = { message: 'tls: received more than one client certificate' }
const NO_IDENTITY = { message: 'identity does not exist' }
const SHAPES: UsageShape[] = ['none', 'keyCertSign', 'digitalSignature']
const dir = mkdtempSync(join(tmpdir(), 'keyhold-hostile-'))

let pki: TestPki
const observabilities: KmsObservability[] = []

interface Target {
  server: TestServer
  auditFile: string
  victim: Crafted
}

async function target(shape: UsageShape, verifyClients: boolean): Promise<Target> {
  const victim = await craft({ subject: `CN=victim-${shape},O=Keyhold Test`, ca: false, usage: shape, signer: testCaSigner(pki) })
  const auditFile = join(dir, `audit-${shape}-${verifyClients}.log`)
  const obs = await createKmsObservability({ log: { error: 'silent', audit: 'info', auditFile } }, {})
  observabilities.push(obs)
  const tls = verifyClients
    ? { certPem: pki.server.certPem, keyPem: pki.server.keyPem, verifyClients: true, caPem: pki.ca.certPem }
    : { certPem: pki.server.certPem, keyPem: pki.server.keyPem, verifyClients: false }
  const server = await startTestServer({ admin: victim.identity, tls }, { ...obs.serverOptions(), probeMs: 0 })
  return { server, auditFile, victim }
}

/** The audit records written so far (the file is appended in batches; wait for `count`). */
async function auditRecords(t: Target, count: number): Promise<Array<{ request: { path: string; identity: string }; response: { code: number } }>> {
  const deadline = Date.now() + 5000
  for (;;) {
    let lines: string[] = []
    try {
      lines = readFileSync(t.auditFile, 'utf8').split('\n').filter((l) => l !== '')
    } catch {
      // not written yet
    }
    if (lines.length >= count || Date.now() > deadline) return lines.map((l) => JSON.parse(l) as never)
    await new Promise((r) => setTimeout(r, 20))
  }
}

const hangsUp = (t: Target, as: TestCert) =>
  expect(t.server.call(as, 'GET', '/v1/identity/self/describe')).rejects.toThrow(/socket hang up|ECONNRESET|EPIPE|certificate/)

beforeAll(async () => {
  pki = await testPki()
})

afterAll(async () => {
  await Promise.all(observabilities.map((o) => o.close()))
})

describe.each(SHAPES)('victim certificate with keyUsage %s', (shape) => {
  describe('tls.auth: off', () => {
    let t: Target
    beforeAll(async () => {
      t = await target(shape, false)
    })

    it('serves the victim itself as admin (the control)', async () => {
      const r = await t.server.call(asClient(t.victim, [t.victim.certPem]), 'GET', '/v1/identity/self/describe')
      expect([r.status, r.json]).toMatchObject([200, { identity: t.victim.identity, admin: true }])
    })

    it("refuses a CA-flagged first certificate naming the victim as issuer, followed by the victim's certificate", async () => {
      const attacker = await craft({ subject: 'CN=attacker', issuerName: t.victim.subject, ca: true })
      const as = asClient(attacker, [attacker.certPem, t.victim.certPem])
      for (const [method, path] of [['GET', '/v1/identity/self/describe'], ['POST', '/v1/key/create/stolen'], ['GET', '/v1/key/list/*']] as const) {
        const r = await t.server.call(as, method, path)
        expect([r.status, r.json]).toEqual([400, CERT_REQUIRED])
      }
      const list = await t.server.call(asClient(t.victim, [t.victim.certPem]), 'GET', '/v1/key/list/*')
      expect(list.json).toMatchObject({ names: [] })
      const records = await auditRecords(t, 4)
      const refusals = records.filter((r) => r.response.code === 400)
      expect(refusals.map((r) => r.request.path)).toEqual(['/v1/identity/self/describe', '/v1/key/create/stolen', '/v1/key/list/*'])
      for (const r of refusals) expect(r.request.identity).toBe('')
      expect(records.some((r) => r.request.identity === t.victim.identity && r.response.code !== 200)).toBe(false)
    })

    it("never takes the identity from a leaf behind the first: an own leaf naming the victim as issuer", async () => {
      const attacker = await craft({ subject: 'CN=attacker-leaf', issuerName: t.victim.subject, ca: false })
      const r = await t.server.call(asClient(attacker, [attacker.certPem, t.victim.certPem]), 'GET', '/v1/identity/self/describe')
      // TLS stacks link a victim without keyCertSign-restricting usage behind the leaf: KES's
      // "more than one client certificate". With digitalSignature only it is not linked and the
      // caller is simply itself, which has no policy.
      if (shape === 'digitalSignature') expect([r.status, r.json]).toEqual([404, NO_IDENTITY])
      else expect([r.status, r.json]).toEqual([400, TOO_MANY])
    })

    it('treats two unrelated leaves as the first one (the one whose key was proven)', async () => {
      const attacker = await craft({ subject: 'CN=unrelated', ca: false })
      const r = await t.server.call(asClient(attacker, [attacker.certPem, t.victim.certPem]), 'GET', '/v1/identity/self/describe')
      expect([r.status, r.json]).toEqual([404, NO_IDENTITY])
    })

    it('refuses a CA certificate alone, self-signed or signed by the trusted CA', async () => {
      for (const ca of [await craft({ subject: 'CN=own-ca', ca: true }), await craft({ subject: 'CN=sub-ca', ca: true, signer: testCaSigner(pki) })]) {
        const r = await t.server.call(asClient(ca, [ca.certPem]), 'GET', '/v1/identity/self/describe')
        expect([r.status, r.json]).toEqual([400, CERT_REQUIRED])
      }
    })
  })

  describe('tls.auth: on', () => {
    let t: Target
    beforeAll(async () => {
      t = await target(shape, true)
    })

    it('serves the victim itself as admin (the control)', async () => {
      const r = await t.server.call(asClient(t.victim, [t.victim.certPem]), 'GET', '/v1/identity/self/describe')
      expect([r.status, r.json]).toMatchObject([200, { admin: true }])
    })

    it('drops the connection of a self-made CA or leaf presented with the victim certificate', async () => {
      const ca = await craft({ subject: 'CN=attacker', issuerName: t.victim.subject, ca: true })
      await hangsUp(t, asClient(ca, [ca.certPem, t.victim.certPem]))
      const leaf = await craft({ subject: 'CN=attacker-leaf', issuerName: t.victim.subject, ca: false })
      await hangsUp(t, asClient(leaf, [leaf.certPem, t.victim.certPem]))
    })

    it('refuses a trusted CA certificate as the first certificate, alone or before the victim', async () => {
      const subCa = await craft({ subject: 'CN=sub-ca', ca: true, signer: testCaSigner(pki) })
      for (const chain of [[subCa.certPem], [subCa.certPem, t.victim.certPem]]) {
        const r = await t.server.call(asClient(subCa, chain), 'POST', '/v1/key/create/stolen')
        expect([r.status, r.json]).toEqual([400, CERT_REQUIRED])
      }
      const records = await auditRecords(t, 3)
      const refusals = records.filter((r) => r.response.code === 400)
      expect(refusals).toHaveLength(2)
      for (const r of refusals) expect(r.request).toMatchObject({ path: '/v1/key/create/stolen', identity: '' })
    })

    it("takes a trusted leaf's own identity when the victim's certificate follows it", async () => {
      const other = await craft({ subject: 'CN=other', ca: false, signer: testCaSigner(pki) })
      const r = await t.server.call(asClient(other, [other.certPem, t.victim.certPem]), 'GET', '/v1/identity/self/describe')
      expect([r.status, r.json]).toEqual([404, NO_IDENTITY])
    })
  })
})

describe('keyhold identity of applies the same rule', () => {
  it('takes the first certificate, refuses a CA first and a second leaf, ignores trailing CAs', async () => {
    const victim = await craft({ subject: 'CN=victim', ca: false, usage: 'none', signer: testCaSigner(pki) })
    const attackerCa = await craft({ subject: 'CN=attacker', issuerName: victim.subject, ca: true })
    const file = (name: string, ...pems: string[]) => {
      const path = join(dir, name)
      writeFileSync(path, pems.join(''))
      return path
    }
    const chained = file('chained.pem', victim.certPem, pki.ca.certPem)
    expect(await cli(['identity', 'of', chained])).toEqual({ code: 0, stdout: victim.identity + '\n', stderr: '' })
    const spoof = file('spoof.pem', attackerCa.certPem, victim.certPem)
    expect(await cli(['identity', 'of', spoof])).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error: the first certificate in '${spoof}' is a CA certificate (basic constraints CA:TRUE): a client identity must be a leaf certificate\n`,
    })
    const caOnly = file('ca.pem', pki.ca.certPem)
    expect((await cli(['identity', 'of', caOnly])).code).toBe(1)
    const twoLeaves = file('two.pem', victim.certPem, pki.clients.app.certPem)
    expect(await cli(['identity', 'of', twoLeaves])).toEqual({
      code: 1,
      stdout: '',
      stderr: `Error: '${twoLeaves}' holds more than one client (non-CA) certificate: put the client certificate first and only CA certificates after it\n`,
    })
  })
})
