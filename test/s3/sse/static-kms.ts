/**
 * MinIO's builtin single-key KMS (MINIO_KMS_SECRET_KEY, MinIO `internal/kms/secret-key.go`: the
 * same construction as KES's current ciphertext, see docs/kes-compatibility.md, "Ciphertext format")
 * as a {@link Kms}, for unit tests of the ObjectCrypto hook without a server. End-to-end tests use a real Keyhold instead.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto'
import { s3err } from '../../../src/s3/api/errors.js'
import { marshalContext, type KmsContext } from '../../../src/s3/kms/context.js'
import { checkKeyStatus, type DataKey, type Kms, type KeyStatus, type KmsStatus } from '../../../src/s3/kms/kms.js'

export class StaticKms implements Kms {
  readonly calls: string[] = []
  down = false
  constructor(readonly defaultKey = 'my-key', private readonly secret = randomBytes(32)) {}

  private check(name: string, op: string): void {
    this.calls.push(`${op}:${name}`)
    if (this.down) throw s3err('kms:KeyGenerationFailed')
    if (name !== this.defaultKey) throw s3err('kms:KeyNotFound')
  }

  async generateKey(keyId: string, context: KmsContext): Promise<DataKey> {
    const name = keyId === '' ? this.defaultKey : keyId
    this.check(name, 'generate')
    const plaintext = randomBytes(32)
    const iv = randomBytes(16)
    const nonce = randomBytes(12)
    const c = createCipheriv('aes-256-gcm', createHmac('sha256', this.secret).update(iv).digest(), nonce)
    c.setAAD(marshalContext(context))
    const ct = Buffer.concat([c.update(plaintext), c.final(), c.getAuthTag(), iv, nonce])
    return { keyId: name, plaintext, ciphertext: ct }
  }

  async decrypt(keyId: string, ciphertext: Buffer, context: KmsContext): Promise<Buffer> {
    this.check(keyId === '' ? this.defaultKey : keyId, 'decrypt')
    try {
      const n = ciphertext.length
      const iv = ciphertext.subarray(n - 28, n - 12)
      const d = createDecipheriv('aes-256-gcm', createHmac('sha256', this.secret).update(iv).digest(), ciphertext.subarray(n - 12))
      d.setAAD(marshalContext(context))
      d.setAuthTag(ciphertext.subarray(n - 44, n - 28))
      return Buffer.concat([d.update(ciphertext.subarray(0, n - 44)), d.final()])
    } catch {
      throw s3err('kms:InvalidCiphertextException')
    }
  }

  async createKey(): Promise<void> {
    throw s3err('kms:KeyAlreadyExists')
  }

  async listKeys(): Promise<string[]> {
    return [this.defaultKey]
  }

  async status(): Promise<KmsStatus> {
    return { name: 'static', 'default-key-id': this.defaultKey, endpoints: {} }
  }

  keyStatus(keyId: string): Promise<KeyStatus> {
    return checkKeyStatus(this, keyId === '' ? this.defaultKey : keyId)
  }

  close(): void {}
}
