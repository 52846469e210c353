import { X509Certificate } from 'node:crypto'
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, type TLSSocket } from 'node:tls'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { Middleware } from '../../src/kms/api/http-types.js'
import { createCertificate, generateKeyPair, identityOfCertificate, privateKeyToPem } from '../../src/pki/index.js'
import { startCertReloader, type CertReloader } from '../../src/s3/tls/cert-reload.js'
import type { KesKms } from '../../src/s3/kms/kms.js'
import { SharedKms } from '../../src/s3/kms/shared.js'
import { createS3Server, type S3Server } from '../../src/s3/server.js'
import { testPki, type TestCert } from '../helpers/pki.js'
import { ROOT_PASSWORD, ROOT_USER } from '../helpers/s3.js'
import { startKeyhold, type Keyhold } from './sse/keyhold.js'
import { kesSettings } from './sse/s3-helper.js'
import { silentMessageLog } from '../../src/lib/logger.js'
import { recordLog } from '../helpers/message-log.js'

/** The identity of every request Keyhold served, in order. */
const identities: string[] = []
const record: Middleware = (req, _res, next) => {
  identities.push(identityOfCertificate((req.socket as TLSSocket).getPeerX509Certificate()!))
  next()
}

const work = mkdtempSync(join(tmpdir(), 'keyhold-s3-cert-reload-'))
const certsDir = join(work, 'certs')
const kesCert = join(work, 'kes', 'client.crt')
const kesKey = join(work, 'kes', 'client.key')
const kesCa = join(work, 'kes', 'ca.crt')
/** keyhold-s3's real log (pino JSON lines) in memory; `logs` are its messages. */
const recorded = recordLog()
const logs = recorded.messages
let kh: Keyhold
let rotated: TestCert
let kms: SharedKms
let conn: KesKms
let server: S3Server
let reloader: CertReloader | undefined

async function serverPair(name: string): Promise<void> {
  const keyPair = generateKeyPair()
  writeFileSync(join(certsDir, 'public.crt'), await createCertificate({ commonName: name, keyPair, hosts: ['127.0.0.1'], usage: ['server'] }))
  writeFileSync(join(certsDir, 'private.key'), privateKeyToPem(keyPair.privateKey))
}

function useKesCert(cert: TestCert): void {
  copyFileSync(cert.certFile, kesCert)
  copyFileSync(cert.keyFile, kesKey)
}

/** servedCn is the CN of the certificate a new connection to keyhold-s3 gets. */
function servedCn(): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: '127.0.0.1', port: server.port, rejectUnauthorized: false }, () => {
      resolve(new X509Certificate(sock.getPeerX509Certificate()!.raw).subject.replace(/^CN=/, ''))
      sock.destroy()
    })
    sock.on('error', reject)
  })
}

/** identitySeen makes one KMS call and returns the identity Keyhold saw it from. */
async function identitySeen(): Promise<string> {
  await conn.generateKey('', { probe: 'identity' })
  return identities.at(-1)!
}

async function logged(text: string): Promise<void> {
  for (let i = 0; i < 100 && !logs.some((l) => l.includes(text)); i++) await new Promise((r) => setTimeout(r, 50))
  expect(logs.join('\n')).toContain(text)
}

beforeAll(async () => {
  const pki = await testPki()
  rotated = await pki.client('store-rotated')
  kh = await startKeyhold({ identities: [rotated.identity], requestWrappers: [record] })
  mkdirSync(certsDir, { recursive: true })
  mkdirSync(join(work, 'kes'))
  await serverPair('first')
  useKesCert(kh.store)
  copyFileSync(kh.ca.certFile, kesCa)
  kms = new SharedKms(kesSettings(kh, { MINIO_KMS_KES_CERT_FILE: kesCert, MINIO_KMS_KES_KEY_FILE: kesKey, MINIO_KMS_KES_CAPATH: kesCa }), { keepAliveMs: 0 })
  conn = (await kms.connect())!
  server = await createS3Server({ dataDir: join(work, 'data'), certsDir, rootUser: ROOT_USER, rootPassword: ROOT_PASSWORD, log: silentMessageLog })
})
afterAll(async () => {
  reloader?.close()
  await server?.close()
  await kms?.close()
  await kh?.stop()
  rmSync(work, { recursive: true, force: true })
})

describe('keyhold-s3 certificate reloads', () => {
  it('reloads its own and the KES client certificate on SIGHUP', async () => {
    reloader = startCertReloader({ server, kms, watch: [certsDir, ...kms.kmsFiles()], pollMs: 0, signals: true, log: recorded.log })
    expect(kms.kmsFiles()).toEqual([kesCert, kesKey, kesCa])
    expect(await servedCn()).toBe('first')
    expect(await identitySeen()).toBe(kh.store.identity)

    await serverPair('after-hup')
    useKesCert(rotated)
    process.kill(process.pid, 'SIGHUP')
    await logged('KMS client certificate reloaded (SIGHUP)')
    expect(logs).toContain('certificates reloaded (SIGHUP)')
    // Reloads are routine: info, as the server's start-up and stop lines.
    expect(recorded.entries.map((e) => [e.level, e.svc])).toEqual([['info', 'keyhold-s3'], ['info', 'keyhold-s3']])
    expect(await servedCn()).toBe('after-hup')
    expect(await identitySeen()).toBe(rotated.identity)
    reloader.close()
  })

  it('picks up rotated files by polling, without a signal', async () => {
    recorded.clear()
    reloader = startCertReloader({ server, kms, watch: [certsDir, ...kms.kmsFiles()], pollMs: 100, log: recorded.log })
    await new Promise((r) => setTimeout(r, 300))
    expect(logs).toEqual([]) // nothing changed, nothing reloaded
    await serverPair('after-poll')
    useKesCert(kh.store)
    await logged('KMS client certificate reloaded (changed on disk)')
    await logged('certificates reloaded (changed on disk)')
    expect(await servedCn()).toBe('after-poll')
    expect(await identitySeen()).toBe(kh.store.identity)
  })

  it('keeps the old certificates when the new files are bad, and says why without their content', async () => {
    recorded.clear()
    writeFileSync(kesKey, 'not a private key')
    await logged('KMS client certificate reload failed, keeping the old one: Unable to decrypt KES client private key')
    copyFileSync(rotated.keyFile, kesKey) // a real key, but not the certificate's
    await logged('KMS client certificate reload failed, keeping the old one: kms: the KES client certificate does not match its private key')
    writeFileSync(join(certsDir, 'private.key'), 'not a private key')
    await logged('certificate reload failed, keeping the old ones')
    expect(await servedCn()).toBe('after-poll')
    expect(await identitySeen()).toBe(kh.store.identity)
    // A failed reload is trouble the server copes with (the old certificates stay): warn, never info or error.
    const failures = recorded.entries.filter((e) => e.msg.includes('reload failed'))
    expect(failures.length).toBeGreaterThanOrEqual(3)
    for (const e of failures) expect(e.level).toBe('warn')
    // The raw lines, as they reach stderr: no key material, whichever key was in play.
    const text = recorded.lines.join('')
    expect(text).not.toContain('PRIVATE KEY')
    expect(text).not.toContain('not a private key')
    for (const pem of [rotated.keyPem, kh.store.keyPem]) {
      for (const line of pem.split('\n').filter((l) => l.length > 20 && !l.startsWith('-----'))) expect(text).not.toContain(line)
    }
  })

  it('reloads the CA path: a CA that did not sign Keyhold\'s certificate fails the calls until it is put back', async () => {
    useKesCert(kh.store) // the certificate in use again: no reload for it
    await new Promise((r) => setTimeout(r, 300))
    recorded.clear()
    const keyPair = generateKeyPair()
    writeFileSync(kesCa, await createCertificate({ commonName: 'Another CA', keyPair, isCA: true, days: 1 }))
    await logged('KMS client certificate reloaded (changed on disk)')
    await expect(conn.generateKey('', {})).rejects.toThrow()
    copyFileSync(kh.ca.certFile, kesCa)
    for (let i = 0; i < 100 && logs.filter((l) => l.startsWith('KMS client certificate reloaded')).length < 2; i++) await new Promise((r) => setTimeout(r, 50))
    expect(await identitySeen()).toBe(kh.store.identity)
  })
})
