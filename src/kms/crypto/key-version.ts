/**
 * The shape of a master key version, shared by `key.ts` and the two stored encodings it reads
 * (`key-proto.ts`, `key-json.ts`): a leaf, so the encodings need not import the module that uses them.
 *
 * @module
 */

/** The AEAD family a master key is used with. */
export type KeyAlgorithm = 'AES256' | 'ChaCha20'

/** One version of a master key, as stored in a keystore. */
export interface KeyVersion {
  /** The 32-byte master key. */
  key: Uint8Array
  algorithm: KeyAlgorithm
  /** The 32-byte key for `/v1/key/hmac`; absent for legacy JSON keys. */
  hmacKey?: Uint8Array
  /** Absent for legacy keys stored without a timestamp. */
  createdAt?: Date
  /** Identity that created the key. */
  createdBy?: string
}
