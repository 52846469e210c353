import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { IamAccess } from '../../../src/s3/iam/authorizer.js'
import { Iam } from '../../../src/s3/iam/iam.js'
import { KmsSecretSealer, SealedSecretError } from '../../../src/s3/iam/kms-sealer.js'
import { addServiceAccount } from '../../../src/s3/iam/service-accounts.js'
import { KesKms } from '../../../src/s3/kms/kms.js'
import { startKeyhold, type Keyhold } from '../sse/keyhold.js'

let keyhold: Keyhold
let kms: KesKms
let dir: string
beforeAll(async () => {
  keyhold = await startKeyhold()
  kms = await KesKms.connect({
    endpoints: [keyhold.url], defaultKey: 'iam-key', certPem: keyhold.store.certPem, keyPem: keyhold.store.keyPem, ca: [keyhold.ca.certPem], autoEncryption: false,
  }, { keepAliveMs: 0 })
  dir = mkdtempSync(join(tmpdir(), 'keyhold-iam-kms-'))
}, 60_000)
afterAll(async () => {
  kms?.close()
  await keyhold?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('IAM secrets sealed with a Keyhold data key', () => {
  it('seals at rest, unseals on lookup, binds to the access key, and reseals secrets stored before', async () => {
    const plainIam = new Iam({ dataDir: dir, rootUser: 'root', rootPassword: 'rootsecret' })
    await plainIam.addUser('early', 'early-secret')
    expect(plainIam.users.getUser('early')!.secret).toBe('plain:early-secret')
    plainIam.close()

    const iam = new Iam({ dataDir: dir, rootUser: 'root', rootPassword: 'rootsecret', sealer: new KmsSecretSealer(kms) })
    expect(await iam.resealPlainSecrets()).toBe(1)
    await iam.addUser('alice', 'alice-secret-1')
    const { record } = await addServiceAccount(iam, { parent: 'alice', secretKey: 'svc-secret-1', accessKey: 'alicesvc' })
    for (const stored of [iam.users.getUser('early')!.secret, iam.users.getUser('alice')!.secret, record.secret]) {
      expect(stored).toMatch(/^kms:v1:/)
      expect(stored).not.toContain('secret')
    }
    iam.close()

    // A fresh process: nothing cached, every secret comes back through the KMS.
    const again = new Iam({ dataDir: dir, rootUser: 'root', rootPassword: 'rootsecret', sealer: new KmsSecretSealer(kms) })
    const access = new IamAccess(again)
    expect((await access.lookup('early'))?.secretKey).toBe('early-secret')
    expect((await access.lookup('alice'))?.secretKey).toBe('alice-secret-1')
    expect((await access.lookup('alicesvc'))?.secretKey).toBe('svc-secret-1')
    // Moving a sealed secret to another access key fails: the KMS context and the AAD bind it.
    again.db.prepare('UPDATE users SET secret = (SELECT secret FROM users WHERE access_key = ?) WHERE access_key = ?').run('alice', 'early')
    await expect(access.lookup('early')).rejects.toThrow()
    // A plain secret planted in the database is not accepted once a KMS seals secrets.
    again.db.prepare("UPDATE users SET secret = 'plain:planted-secret' WHERE access_key = ?").run('early')
    await expect(access.lookup('early')).rejects.toThrow(SealedSecretError)
    again.close()
  })
})
