import { createPrivateKey } from 'node:crypto'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { ClientEnvError, clientOptionsFromEnv, serversFromEnv } from '../../src/kes-client/index.js'
import { newApiKey } from '../../src/pki/index.js'
import { testPki, type TestPki } from '../helpers/pki.js'

let pki: TestPki
beforeAll(async () => {
  pki = await testPki()
})

describe('serversFromEnv', () => {
  it('takes the first variable set, in KES order, and splits lists', () => {
    expect(serversFromEnv({})).toEqual(['127.0.0.1:7373'])
    expect(serversFromEnv({ MINIO_KMS_KES_ENDPOINT: 'c:1', KES_SERVER: 'b:1, b:2' })).toEqual(['b:1', 'b:2'])
    expect(serversFromEnv({ MINIO_KES_SERVER: 'a:1', KES_SERVER: 'b:1' })).toEqual(['a:1'])
    expect(serversFromEnv({ KES_SERVER: ' ' , MINIO_KMS_KES_ENDPOINT: 'c:1' })).toEqual(['c:1'])
    expect(serversFromEnv({ KES_SERVER: 'b:1' }, 'flag:1,flag:2')).toEqual(['flag:1', 'flag:2'])
  })
})

describe('clientOptionsFromEnv', () => {
  it('reads an API key', async () => {
    const apiKey = newApiKey()
    expect(await clientOptionsFromEnv({ KES_API_KEY: apiKey, KES_SERVER: 'h:1' })).toEqual({ endpoints: ['h:1'], insecure: false, apiKey })
  })

  it('reads certificate, key and a CA file or directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyhold-env-'))
    mkdirSync(join(dir, 'cas'))
    writeFileSync(join(dir, 'cas', 'a.pem'), pki.ca.certPem)
    writeFileSync(join(dir, 'cas', 'notes.txt'), 'not a certificate')
    const env = { MINIO_KMS_KES_CERT_FILE: pki.clients.app.certFile, MINIO_KMS_KES_KEY_FILE: pki.clients.app.keyFile, MINIO_KMS_KES_CAPATH: join(dir, 'cas') }
    const opts = await clientOptionsFromEnv(env, { insecure: true })
    expect(opts).toMatchObject({ certPem: pki.clients.app.certPem, keyPem: pki.clients.app.keyPem, ca: [pki.ca.certPem], insecure: true })
    const viaFile = await clientOptionsFromEnv({ KES_CLIENT_CERT: pki.clients.app.certFile, KES_CLIENT_KEY: pki.clients.app.keyFile, KES_CAPATH: pki.ca.certFile })
    expect(viaFile.ca).toEqual([pki.ca.certPem])
  })

  it('names a key that belongs to another certificate, or does not decrypt, before any connection', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyhold-env-'))
    writeFileSync(join(dir, 'app.key'), createPrivateKey(pki.clients.app.keyPem).export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pa55' }))
    const refused = (env: NodeJS.ProcessEnv) => clientOptionsFromEnv(env).then(() => 'no error', (e: unknown) => {
      expect(e).toBeInstanceOf(ClientEnvError)
      return (e as Error).message
    })
    const cert = { KES_CLIENT_CERT: pki.clients.app.certFile }
    expect(await refused({ ...cert, KES_CLIENT_KEY: pki.clients.admin.keyFile }))
      .toBe(`cannot use the client certificate: private key '${pki.clients.admin.keyFile}' does not belong to certificate '${pki.clients.app.certFile}'`)
    expect(await refused({ ...cert, KES_CLIENT_KEY: join(dir, 'app.key'), MINIO_KMS_KES_KEY_PASSWORD: 'Wr0ng' }))
      .toBe(`cannot use the client certificate: cannot decrypt private key '${join(dir, 'app.key')}': wrong password`)
    const opts = await clientOptionsFromEnv({ ...cert, KES_CLIENT_KEY: join(dir, 'app.key'), MINIO_KMS_KES_KEY_PASSWORD: 'pa55' })
    expect(opts.keyPassword).toBe('pa55')
  })

  it.each([
    [{ KES_API_KEY: 'k', KES_CLIENT_CERT: 'c', KES_CLIENT_KEY: 'k' }, 'mutually exclusive'],
    [{ KES_CLIENT_CERT: 'c' }, 'no private key for the client certificate: set KES_CLIENT_KEY'],
    [{ KES_CLIENT_KEY: 'k' }, 'no client certificate for the private key: set KES_CLIENT_CERT'],
    [{}, 'no credentials'],
    [{ KES_CLIENT_CERT: '/nonexistent/c.crt', KES_CLIENT_KEY: '/nonexistent/c.key' }, "cannot read client certificate '/nonexistent/c.crt'"],
  ])('refuses %j', async (env, message) => {
    const err = await clientOptionsFromEnv(env).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(ClientEnvError)
    expect((err as Error).message).toContain(message)
  })
})
