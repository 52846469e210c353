/**
 * madmin's EncryptData/DecryptData (`madmin-go encrypt.go`): salt[32] ‖ id[1] ‖ nonce[8] ‖ sio-go
 * stream, with the key derived from the caller's secret key by Argon2id (id 0 AES-GCM, id 1
 * ChaCha20-Poly1305) or PBKDF2-SHA256 (id 2, AES-GCM). Neither derivation runs on the event loop: Node has
 * no Argon2, so hash-wasm computes it in a bounded worker thread ({@link ./argon2-pool.ts}), and PBKDF2 runs
 * on libuv's thread pool.
 *
 * @module
 */
import { pbkdf2, randomBytes } from 'node:crypto'
import { promisify } from 'node:util'
import { deriveArgon2id } from './argon2-pool.js'
import { sioOpen, sioSeal, SioError, type SioCipher } from './sio-stream.js'

const pbkdf2Async = promisify(pbkdf2)

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

/**
 * deriveMadminKey derives the 32-byte key for algorithm `id`. Rejects with MadminCryptoError for an unknown id,
 * Argon2BusyError when too many Argon2id derivations are under way, Error when the Argon2id worker fails.
 */
async function deriveMadminKey(password: string, salt: Buffer, id: number): Promise<Buffer> {
  if (id === MADMIN_ARGON2ID_AES || id === MADMIN_ARGON2ID_CHACHA) return deriveArgon2id(Buffer.from(password, 'utf8'), salt)
  // madmin-go: pbkdf2Cost 8192, SHA-256.
  if (id === MADMIN_PBKDF2_AES) return pbkdf2Async(Buffer.from(password, 'utf8'), salt, 8192, 32, 'sha256')
  throw new MadminCryptoError('madmin: unsupported encryption algorithm')
}

const cipherOf = (id: number): SioCipher => (id === MADMIN_ARGON2ID_CHACHA ? 'chacha20-poly1305' : 'aes-256-gcm')

/** isMadminEncrypted mirrors madmin.IsEncrypted: longer than 32 bytes and a known id at offset 32. Never throws. */
export function isMadminEncrypted(data: Buffer): boolean {
  return data.length > 32 && (data[32] ?? 255) <= 2
}

/**
 * encryptMadminData encrypts like madmin.EncryptData with a fresh salt and nonce. Rejects with
 * MadminCryptoError for an unknown id, and for ids 0 and 1 with Argon2BusyError when too many Argon2id
 * derivations are under way or Error when the Argon2id worker fails.
 * @param id default Argon2id + AES-256-GCM (what madmin picks on CPUs with AES instructions)
 */
export async function encryptMadminData(password: string, plain: Buffer, id = MADMIN_ARGON2ID_AES): Promise<Buffer> {
  const salt = randomBytes(32)
  const nonce = randomBytes(8)
  const key = await deriveMadminKey(password, salt, id)
  return Buffer.concat([salt, Buffer.from([id]), nonce, sioSeal(cipherOf(id), key, nonce, plain)])
}

/**
 * decryptMadminData decrypts a madmin body. Rejects with MadminCryptoError when it is malformed or not authentic,
 * and for Argon2id bodies with Argon2BusyError when too many derivations are under way (nothing was tried: the
 * caller may retry) or Error when the Argon2id worker fails.
 */
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
