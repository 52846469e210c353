import { createPrivateKey } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KmsConfigError, expandEndpoints, readKmsEnvironment } from '../../../src/s3/config/kms-environment.js'
import { loadKmsConfig, type KmsConfig } from '../../../src/s3/kms/config.js'
import { objectContext } from '../../../src/s3/kms/context.js'
import { KesKms } from '../../../src/s3/kms/kms.js'
import { S3Error } from '../../../src/s3/api/errors.js'
import { apiKeyIdentity, newApiKey } from '../../../src/pki/index.js'
import { startKeyhold, type Keyhold } from './keyhold.js'
import { testPki } from '../../helpers/pki.js'

/** kmsConfigFromEnv checks the variables, then loads the files they name, as the server does. */
function kmsConfigFromEnv(env: NodeJS.ProcessEnv): KmsConfig | undefined {
  const settings = readKmsEnvironment(env)
  return settings === undefined ? undefined : loadKmsConfig(settings)
}

function configError(env: NodeJS.ProcessEnv): string {
  try {
    kmsConfigFromEnv(env)
  } catch (e) {
    if (e instanceof KmsConfigError) return e.message
    throw e
  }
  return 'no error'
}

describe('MINIO_KMS_KES_* configuration', () => {
  it('reports incomplete configuration with MinIO\'s messages', () => {
    expect(kmsConfigFromEnv({})).toBeUndefined()
    expect(configError({ MINIO_KMS_KES_KEY_NAME: 'k' })).toBe("kms: incomplete configuration for MinIO KES: missing 'MINIO_KMS_KES_ENDPOINT'")
    expect(configError({ MINIO_KMS_KES_ENDPOINT: 'https://a' })).toBe("kms: incomplete configuration for MinIO KES: missing 'MINIO_KMS_KES_KEY_NAME'")
    expect(configError({ MINIO_KMS_KES_ENDPOINT: 'https://a', MINIO_KMS_KES_KEY_NAME: 'k' })).toBe('kms: incomplete configuration for MinIO KES: missing authentication method')
    expect(configError({ MINIO_KMS_KES_ENDPOINT: 'https://a', MINIO_KMS_KES_KEY_NAME: 'k', MINIO_KMS_KES_CERT_FILE: 'c' })).toBe("kms: incomplete configuration for MinIO KES: missing 'MINIO_KMS_KES_KEY_FILE'")
    expect(configError({ MINIO_KMS_KES_ENDPOINT: 'https://a', MINIO_KMS_KES_KEY_NAME: 'k', MINIO_KMS_KES_KEY_FILE: 'c', MINIO_KMS_KES_API_KEY: 'x' }))
      .toBe("kms: invalid configuration for MinIO KES: 'MINIO_KMS_KES_API_KEY' and client certificate is present")
    expect(configError({ MINIO_KMS_KES_KEY_NAME: 'k', MINIO_KMS_SERVER: 'x' })).toBe('kms: configuration for MinIO KMS and MinIO KES is present')
  })

  it('expands endpoints and reads cert, key (with password) and CA path', () => {
    expect(expandEndpoints(' https://kes{1...3}:7373 , ,https://b:7373')).toEqual(['https://kes1:7373', 'https://kes2:7373', 'https://kes3:7373', 'https://b:7373'])
    const dir = mkdtempSync(join(tmpdir(), 'kmscfg-'))
    writeFileSync(join(dir, 'c.pem'), 'CERT')
    expect(configError({ MINIO_KMS_KES_ENDPOINT: 'https://a', MINIO_KMS_KES_KEY_NAME: 'k', MINIO_KMS_KES_CERT_FILE: join(dir, 'c.pem'), MINIO_KMS_KES_KEY_FILE: join(dir, 'missing') }))
      .toMatch(/^Unable to load KES client private key as specified by the shell environment/)
    const c = kmsConfigFromEnv({ MINIO_KMS_KES_ENDPOINT: 'https://a', MINIO_KMS_KES_KEY_NAME: 'k', MINIO_KMS_KES_API_KEY: 'kes:v1:x', MINIO_KMS_AUTO_ENCRYPTION: 'on' })!
    expect([c.apiKey, c.autoEncryption, c.defaultKey]).toEqual(['kes:v1:x', true, 'k'])
  })

  it('decrypts the client key with MINIO_KMS_KES_KEY_PASSWORD and checks it belongs to the certificate, naming neither', async () => {
    const pki = await testPki()
    const dir = mkdtempSync(join(tmpdir(), 'kmscfg-'))
    const encrypted = createPrivateKey(pki.clients.app.keyPem).export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pa55-w0rd' })
    writeFileSync(join(dir, 'app.key'), encrypted)
    const env = (extra: NodeJS.ProcessEnv): NodeJS.ProcessEnv => ({
      MINIO_KMS_KES_ENDPOINT: 'https://a', MINIO_KMS_KES_KEY_NAME: 'k', MINIO_KMS_KES_CERT_FILE: pki.clients.app.certFile, MINIO_KMS_KES_KEY_FILE: join(dir, 'app.key'), ...extra,
    })
    const c = kmsConfigFromEnv(env({ MINIO_KMS_KES_KEY_PASSWORD: 'pa55-w0rd' }))!
    expect(c.certPem).toBe(pki.clients.app.certPem)
    expect(createPrivateKey(c.keyPem!).equals(createPrivateKey(pki.clients.app.keyPem))).toBe(true)
    expect(c.keyPem).toContain('-----BEGIN PRIVATE KEY-----')
    expect(configError(env({ MINIO_KMS_KES_KEY_PASSWORD: 'Wr0ng' }))).toBe('Unable to decrypt KES client private key as specified by the shell environment')
    expect(configError(env({}))).toBe('Unable to decrypt KES client private key as specified by the shell environment')
    expect(configError(env({ MINIO_KMS_KES_KEY_FILE: pki.clients.admin.keyFile }))).toBe('kms: the KES client certificate does not match its private key')
    expect(configError(env({ MINIO_KMS_KES_CERT_FILE: join(dir, 'app.key'), MINIO_KMS_KES_KEY_FILE: pki.clients.app.keyFile })))
      .toBe('kms: the KES client certificate is not a PEM certificate')
    expect(configError(env({ MINIO_KMS_KES_CERT_FILE: dir })))
      .toBe(`Unable to load KES client certificate as specified by the shell environment: EISDIR: '${dir}' is not a regular file`)
  })
})

describe('KES connection to a real Keyhold', () => {
  let kh: Keyhold
  const apiKey = newApiKey()
  beforeAll(async () => {
    kh = await startKeyhold({ identities: [apiKeyIdentity(apiKey)] })
  })
  afterAll(async () => {
    await kh.stop()
  })

  const connect = (endpoints: string[], key = 'minio-default') => KesKms.connect({
    endpoints, defaultKey: key, certPem: kh.store.certPem, keyPem: kh.store.keyPem, ca: [kh.ca.certPem], autoEncryption: false,
  }, { keepAliveMs: 0, timeoutMs: 3_000 })

  it('creates the default key at start-up only when missing, then generates and decrypts under the object context', async () => {
    const kms = await connect([kh.url])
    const again = await connect([kh.url]) // key exists now: generate succeeds, no create
    const ctx = objectContext('bucket', 'a/b.txt')
    const dk = await kms.generateKey('', ctx)
    expect(dk.plaintext.length).toBe(32)
    expect((await again.decrypt('minio-default', dk.ciphertext, ctx)).equals(dk.plaintext)).toBe(true)
    const wrongCtx = await kms.decrypt('minio-default', dk.ciphertext, objectContext('bucket', 'other')).catch((e: S3Error) => e)
    expect([(wrongCtx as S3Error).status, (wrongCtx as S3Error).code]).toEqual([400, 'kms:InvalidCiphertextException'])
    const missing = await kms.generateKey('nope', ctx).catch((e: S3Error) => e)
    expect([(missing as S3Error).status, (missing as S3Error).code]).toEqual([404, 'kms:KeyNotFound'])
    expect(await kms.keyStatus('')).toEqual({ 'key-id': 'minio-default' })
    expect((await kms.keyStatus('nope'))['encryption-error']).toBe('key with given key ID does not exist')
    kms.close()
    again.close()
  })

  it('fails over when one of two endpoints is down, and reports each endpoint\'s status', async () => {
    const kms = await connect(['https://127.0.0.1:1', kh.url])
    for (let i = 0; i < 5; i++) {
      const dk = await kms.generateKey('', objectContext('b', `o${i}`))
      expect((await kms.decrypt('', dk.ciphertext, objectContext('b', `o${i}`))).equals(dk.plaintext)).toBe(true)
    }
    const status = await kms.status()
    expect(status.endpoints).toEqual({ 'https://127.0.0.1:1': 'offline', [kh.url]: 'online' })
    kms.close()
  })

  it('authenticates with MINIO_KMS_KES_API_KEY (a self-signed Ed25519 client certificate)', async () => {
    const config = kmsConfigFromEnv({ MINIO_KMS_KES_ENDPOINT: kh.url, MINIO_KMS_KES_KEY_NAME: 'api-default', MINIO_KMS_KES_API_KEY: apiKey, MINIO_KMS_KES_CAPATH: kh.ca.certFile })!
    const kms = await KesKms.connect(config, { keepAliveMs: 0 })
    const dk = await kms.generateKey('', objectContext('b', 'o'))
    expect((await kms.decrypt('', dk.ciphertext, objectContext('b', 'o'))).equals(dk.plaintext)).toBe(true)
    kms.close()
    const stranger = kmsConfigFromEnv({ MINIO_KMS_KES_ENDPOINT: kh.url, MINIO_KMS_KES_KEY_NAME: 'api-default', MINIO_KMS_KES_API_KEY: newApiKey(), MINIO_KMS_KES_CAPATH: kh.ca.certFile })!
    // Start-up tolerates 403 as MinIO does; the first real use then fails with kms:NotAuthorized.
    const denied = await KesKms.connect(stranger, { keepAliveMs: 0 })
    const e = await denied.generateKey('', objectContext('b', 'o')).catch((err: S3Error) => err)
    expect([(e as S3Error).status, (e as S3Error).code]).toEqual([403, 'kms:NotAuthorized'])
    denied.close()
  })

  it('refuses to start when the KMS cannot be reached', async () => {
    await expect(connect(['https://127.0.0.1:1'])).rejects.toThrow(/^Failed to connect to KMS/)
  })
})
