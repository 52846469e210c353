/**
 * The shape a KMS answer must have before keyhold-s3 uses it: a data key is 32 bytes, and the ciphertext it stores
 * with every object is neither empty (the object could never be read again) nor larger than any KES ciphertext
 * of 32 bytes (it is kept in each object's metadata). Only lengths are checked and named, never bytes.
 *
 * @module
 */

/** The size of a data key: MinIO and KES use 256-bit keys only. */
export const DATA_KEY_BYTES = 32

/**
 * The largest KMS ciphertext of a data key that is stored. KES's ciphertext of 32 bytes is under 200 bytes
 * (docs/kes-compatibility.md, "Ciphertext format"); the bound leaves room for other KES-compatible servers.
 */
export const MAX_DATA_KEY_CIPHERTEXT_BYTES = 4 << 10

/**
 * dataKeyProblem says what is wrong with a data key's plaintext, or undefined when it is usable. Throws nothing.
 */
export function dataKeyProblem(plaintext: Buffer): string | undefined {
  return plaintext.length === DATA_KEY_BYTES ? undefined : `a data key of ${plaintext.length} bytes, not ${DATA_KEY_BYTES}`
}

/**
 * generatedKeyProblem says what is wrong with a generate answer (data key and ciphertext), or undefined when it
 * is usable. Throws nothing.
 */
export function generatedKeyProblem(plaintext: Buffer, ciphertext: Buffer): string | undefined {
  const problem = dataKeyProblem(plaintext)
  if (problem !== undefined) return problem
  if (ciphertext.length === 0) return 'an empty ciphertext'
  if (ciphertext.length > MAX_DATA_KEY_CIPHERTEXT_BYTES) {
    return `a ciphertext of ${ciphertext.length} bytes, more than ${MAX_DATA_KEY_CIPHERTEXT_BYTES}`
  }
  return undefined
}

/** MalformedKmsAnswer: the KMS answered 2xx with a data key keyhold-s3 cannot use. Its message names the problem. */
export class MalformedKmsAnswer extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'MalformedKmsAnswer'
  }
}
