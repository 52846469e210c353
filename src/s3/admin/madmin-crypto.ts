/**
 * madmin's EncryptData/DecryptData (`madmin-go encrypt.go`): salt[32] ‖ id[1] ‖ nonce[8] ‖ sio-go
 * stream, with the key derived from the caller's secret key by Argon2id (id 0 AES-GCM, id 1
 * ChaCha20-Poly1305) or PBKDF2-SHA256 (id 2, AES-GCM). Node has no Argon2, so hash-wasm computes it.
 *
 * @module
 */
import { pbkdf2Sync, randomBytes } from 'node:crypto'
import { argon2id } from 'hash-wasm'
import { sioOpen, sioSeal, SioError, type SioCipher } from './sio-stream.js'

/** The algorithm ids of the format. */
export const MADMIN_ARGON2ID_AES = 0
export const MADMIN_ARGON2ID_CHACHA = 1
export const MADMIN_PBKDF2_AES = 2

/** MadminCryptoError: the body is not a madmin-encrypted body, or decryption failed (wrong secret). */
export class MadminCryptoError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'MadminCryptoError'
  }
}

/** deriveMadminKey derives the 32-byte key for algorithm `id`. Throws MadminCryptoError for an unknown id. */
async function deriveMadminKey(password: string, salt: Buffer, id: number): Promise<Buffer> {
  if (id === MADMIN_ARGON2ID_AES || id === MADMIN_ARGON2ID_CHACHA) {
    const key = await argon2id({
      password: Buffer.from(password, 'utf8'), salt, iterations: 1, memorySize: 64 * 1024,
      parallelism: 4, hashLength: 32, outputType: 'binary',
    })
    return Buffer.from(key)
  }
  if (id === MADMIN_PBKDF2_AES) return pbkdf2Sync(Buffer.from(password, 'utf8'), salt, 8192, 32, 'sha256')
  throw new MadminCryptoError('madmin: unsupported encryption algorithm')
}

const cipherOf = (id: number): SioCipher => (id === MADMIN_ARGON2ID_CHACHA ? 'chacha20-poly1305' : 'aes-256-gcm')

/** isMadminEncrypted mirrors madmin.IsEncrypted: longer than 32 bytes and a known id at offset 32. Never throws. */
export function isMadminEncrypted(data: Buffer): boolean {
  return data.length > 32 && (data[32] ?? 255) <= 2
}

/**
 * encryptMadminData encrypts like madmin.EncryptData with a fresh salt and nonce. Throws
 * MadminCryptoError for an unknown id.
 * @param id default Argon2id + AES-256-GCM (what madmin picks on CPUs with AES instructions)
 */
export async function encryptMadminData(password: string, plain: Buffer, id = MADMIN_ARGON2ID_AES): Promise<Buffer> {
  const salt = randomBytes(32)
  const nonce = randomBytes(8)
  const key = await deriveMadminKey(password, salt, id)
  return Buffer.concat([salt, Buffer.from([id]), nonce, sioSeal(cipherOf(id), key, nonce, plain)])
}

/** decryptMadminData decrypts a madmin body. Throws MadminCryptoError when it is malformed or not authentic. */
export async function decryptMadminData(password: string, data: Buffer): Promise<Buffer> {
  if (data.length < 41 + 16) throw new MadminCryptoError('madmin: encrypted body is too short')
  const salt = data.subarray(0, 32)
  const id = data[32] ?? 255
  const nonce = data.subarray(33, 41)
  const key = await deriveMadminKey(password, salt, id)
  try {
    return sioOpen(cipherOf(id), key, nonce, data.subarray(41))
  } catch (err) {
    if (err instanceof SioError) throw new MadminCryptoError('madmin: decryption failed: ciphertext is not authentic')
    throw err
  }
}
