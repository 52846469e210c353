import { createPrivateKey, randomBytes } from 'node:crypto'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { HeadObjectCommand, PutObjectCommand, CreateBucketCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { KmsConfigError, expandEndpoints, readKmsEnvironment } from '../../../src/s3/config/kms-environment.js'
import { loadKmsConfig, type KmsConfig } from '../../../src/s3/kms/config.js'
import { objectContext } from '../../../src/s3/kms/context.js'
import { KesKms } from '../../../src/s3/kms/kms.js'
import { S3Error } from '../../../src/s3/api/errors.js'
import { apiKeyIdentity, newApiKey } from '../../../src/pki/index.js'
import { startKeyhold, type Keyhold } from './keyhold.js'
import { testPki, type TestPki } from '../../helpers/pki.js'
import { recordLog } from '../../helpers/message-log.js'
import { s3error } from '../../helpers/s3.js'
import { reply, startStandIn, type StandIn } from '../../kes-client/standin.js'
import { KmsSecretSealer } from '../../../src/s3/iam/kms-sealer.js'
import { OUTAGE_LOG_INTERVAL_MS } from '../../../src/s3/kms/monitor.js'
import { startStore } from './s3-helper.js'

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

/**
 * A KMS whose answers keyhold-s3 must not trust: the stand-in KES (test/kes-client/standin.ts) answers by key name.
 * `g-<mode>` misanswers generate, `d-<mode>` decrypt; `flap` alternates success and 502, `down` is always 502; any other key is served
 * well (the ciphertext is `FAKE` + the data key, so decrypt can undo it).
 */
describe('KES connection to a KMS with malformed answers', () => {
  let kes: StandIn
  let pki: TestPki
  const recorded = recordLog()
  const generateModes: Record<string, () => { plaintext: string; ciphertext: string }> = {
    'ct-empty': () => ({ plaintext: randomBytes(32).toString('base64'), ciphertext: '' }),
    'ct-5k': () => ({ plaintext: randomBytes(32).toString('base64'), ciphertext: randomBytes(5 << 10).toString('base64') }),
    'ct-24m': () => ({ plaintext: randomBytes(32).toString('base64'), ciphertext: Buffer.alloc(24 << 20, 1).toString('base64') }),
  }
  const decryptSizes: Record<string, number> = { 'pt-0': 0, 'pt-31': 31, 'pt-33': 33, 'pt-1m': 1 << 20 }
  let flaps = 0
  /** What a buggy KMS might echo into an error body (a stand-in for key material). */
  const KMS_ECHO = 'ECHOED-SECRET-0123456789'

  beforeAll(async () => {
    pki = await testPki()
    kes = await startStandIn((req, res) => {
      const [, op, name] = /^\/v1\/key\/(\w+)\/([^/?]+)/.exec(req.path) ?? []
      if ((name === 'flap' && flaps++ % 2 === 1) || name === 'down') return reply(res, 502, { message: 'bad gateway' })
      if (name === 'noisy') return res.writeHead(500, { 'content-type': 'text/plain' }).end(`${KMS_ECHO} `.repeat(1_500))
      if (name === 'huge-500') return res.writeHead(500, { 'content-type': 'text/plain' }).end(Buffer.alloc(30 << 20, 0x41))
      if (op === 'generate') {
        const answer = generateModes[name!.replace(/^g-/, '')]
        if (name!.startsWith('g-') && answer !== undefined) return reply(res, 200, answer())
        const dk = randomBytes(32)
        return reply(res, 200, { plaintext: dk.toString('base64'), ciphertext: Buffer.concat([Buffer.from('FAKE'), dk]).toString('base64') })
      }
      if (op === 'decrypt') {
        const size = decryptSizes[name!.replace(/^d-/, '')]
        if (name!.startsWith('d-') && size !== undefined) return reply(res, 200, { plaintext: Buffer.alloc(size, 0x5a).toString('base64') })
        const ct = Buffer.from((JSON.parse(req.body) as { ciphertext: string }).ciphertext, 'base64')
        return reply(res, 200, { plaintext: ct.subarray(4).toString('base64') })
      }
      reply(res, 200, { name, algorithm: 'AES256' })
    })
  })
  afterAll(async () => {
    await kes.close()
  })

  const connect = () => KesKms.connect({
    endpoints: [kes.url], defaultKey: 'minio-default', certPem: pki.clients.app.certPem, keyPem: pki.clients.app.keyPem,
    ca: [pki.ca.certPem], autoEncryption: false,
  }, { keepAliveMs: 0, timeoutMs: 5_000, log: recorded.log })
  const failure = (p: Promise<unknown>) => p.then(() => undefined, (e: S3Error) => [e.status, e.code])

  it('refuses a generate answer with an empty or oversized ciphertext as kms:KeyGenerationFailed', async () => {
    const kms = await connect()
    recorded.clear()
    expect(await failure(kms.generateKey('g-ct-empty', objectContext('b', 'o')))).toEqual([500, 'kms:KeyGenerationFailed'])
    expect(await failure(kms.generateKey('g-ct-5k', objectContext('b', 'o')))).toEqual([500, 'kms:KeyGenerationFailed'])
    expect(recorded.entries.map((e) => [e.level, e.msg])).toEqual([
      ['warn', `KMS ${kes.url} answered generate under key 'g-ct-empty' with an empty ciphertext: refused`],
      ['warn', `KMS ${kes.url} answered generate under key 'g-ct-5k' with a ciphertext of 5120 bytes, more than 4096: refused`],
    ])
    // A 24 MiB answer is cut after 64 KiB: the KMS is taken as broken (503), never stored.
    expect(await failure(kms.generateKey('g-ct-24m', objectContext('b', 'o')))).toEqual([503, 'ServiceUnavailable'])
    expect(kms.monitor.stats().lastCause).toMatch(/response larger than 65536 bytes$/)
    expect((await kms.generateKey('', objectContext('b', 'o'))).ciphertext.length).toBe(36)
    kms.close()
  })

  it('answers a PUT whose data key came with an empty ciphertext 500 and stores nothing', async () => {
    const store = await startStore({
      MINIO_KMS_KES_ENDPOINT: kes.url, MINIO_KMS_KES_KEY_NAME: 'minio-default', MINIO_KMS_KES_CERT_FILE: pki.clients.app.certFile,
      MINIO_KMS_KES_KEY_FILE: pki.clients.app.keyFile, MINIO_KMS_KES_CAPATH: pki.ca.certFile,
    })
    try {
      await store.client.send(new CreateBucketCommand({ Bucket: 'hostile' }))
      const put = await s3error(store.client.send(new PutObjectCommand({ Bucket: 'hostile', Key: 'o', Body: 'precious', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'g-ct-empty' })))
      expect([put.$metadata.httpStatusCode, put.name]).toEqual([500, 'kms:KeyGenerationFailed'])
      const head = await s3error(store.client.send(new HeadObjectCommand({ Bucket: 'hostile', Key: 'o' })))
      expect(head.$metadata.httpStatusCode).toBe(404)
    } finally {
      await store.close()
    }
  })

  it('refuses a decrypt answer that is no 32-byte key as kms:DecryptionFailed, logging the endpoint, never the bytes', async () => {
    const kms = await connect()
    recorded.clear()
    for (const [name, size] of [['d-pt-0', 0], ['d-pt-31', 31], ['d-pt-33', 33]] as const) {
      expect(await failure(kms.decrypt(name, Buffer.from('FAKE'), objectContext('b', 'o'))), name).toEqual([500, 'kms:DecryptionFailed'])
      expect(recorded.entries.at(-1)).toMatchObject({ level: 'warn', msg: `KMS ${kes.url} answered decrypt under key '${name}' with a data key of ${size} bytes, not 32: refused` })
    }
    expect(recorded.lines.join('\n')).not.toMatch(/WlpaWlpa/) // base64 of the 0x5a bytes
    // 1 MiB is more than any key operation answers: cut, the KMS taken as broken.
    expect(await failure(kms.decrypt('d-pt-1m', Buffer.from('FAKE'), objectContext('b', 'o')))).toEqual([503, 'ServiceUnavailable'])
    kms.close()
  })

  it('IAM secrets are never opened with a KMS key that is not 32 bytes', async () => {
    const kms = await connect()
    const sealer = new KmsSecretSealer(kms)
    const sealed = await sealer.seal('secret-key', 'alice')
    expect(await sealer.unseal(sealed, 'alice')).toBe('secret-key')
    // The same envelope under a key whose decrypt answers 33 bytes.
    const envelope = JSON.parse(Buffer.from(sealed.slice('kms:v1:'.length), 'base64url').toString()) as Record<string, string>
    const forged = 'kms:v1:' + Buffer.from(JSON.stringify({ ...envelope, k: 'd-pt-33' })).toString('base64url')
    expect(await failure(sealer.unseal(forged, 'alice'))).toEqual([500, 'kms:DecryptionFailed'])
    kms.close()
  })

  it('never copies more than a cut of a KMS error body into the log', async () => {
    for (const key of ['noisy', 'huge-500']) {
      const kms = await connect()
      recorded.clear()
      expect(await failure(kms.generateKey(key, objectContext('b', 'o')))).toEqual([503, 'ServiceUnavailable'])
      expect(recorded.messages).toHaveLength(1)
      expect(recorded.messages[0]!.length).toBeLessThan(400)
      kms.close()
    }
    expect(recorded.messages[0]).toMatch(/^KMS is unreachable: cannot reach .*: response larger than 65536 bytes$/)
  })

  it('logs a flapping KMS at most once per interval, counting the changes it did not log', async () => {
    const kms = await connect()
    recorded.clear()
    flaps = 0
    const realNow = performance.now.bind(performance)
    let shift = 0
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => realNow() + shift)
    try {
      for (let i = 0; i < 40; i++) await kms.generateKey('flap', objectContext('b', `o${i}`)).catch(() => undefined)
      expect(recorded.messages).toEqual(['KMS is unreachable: bad gateway', 'KMS is reachable again'])
      // The last outage (40th call) lasts: the first failure after the interval reports it, with the 36 changes before.
      shift = OUTAGE_LOG_INTERVAL_MS
      await kms.generateKey('down', objectContext('b', 'later')).catch(() => undefined)
      expect(recorded.messages.slice(2)).toEqual(['KMS is unreachable: bad gateway (36 reachability changes not logged since the last report)'])
    } finally {
      clock.mockRestore()
      kms.close()
    }
  })
})
