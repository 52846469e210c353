/**
 * Messages between the server and its madmin Argon2id worker ({@link ./argon2-pool.ts}, {@link ./argon2-worker.ts}).
 *
 * @module
 */

/** Argon2Request asks the worker for madmin's Argon2id key of `password` (UTF-8) and `salt`. */
export interface Argon2Request {
  id: number
  password: Uint8Array
  salt: Uint8Array
}

/** Argon2Reply is the worker's answer to the request `id`: the 32-byte key, or why it failed. */
export type Argon2Reply =
  | { id: number; ok: true; key: Uint8Array }
  | { id: number; ok: false; message: string }
