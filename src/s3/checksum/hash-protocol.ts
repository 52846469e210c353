/**
 * Messages between the server and its hash workers ({@link ./hash-pool.ts}, {@link ./hash-worker.ts}).
 *
 * @module
 */
import type { ChecksumAlgorithm } from './checksum.js'

/** HashRequest is a message to a hash worker; `id` names one body's hash session. */
export type HashRequest =
  | { id: number; op: 'open'; sha256: boolean; checksum: ChecksumAlgorithm | undefined }
  /**
   * The first `length` bytes of data (transferred, not copied) are the next bytes to hash. The worker
   * transfers data back with its ack: a buffer is always owned by exactly one thread, so no thread's garbage
   * can pin another's memory (shared memory would stay alive until the worker happened to collect garbage).
   */
  | { id: number; op: 'update'; data: ArrayBuffer; length: number }
  | { id: number; op: 'digest' }
  | { id: number; op: 'drop' }

/** HashReply is a hash worker's answer. */
export type HashReply =
  | { id: number; op: 'ack'; bytes: number; data: ArrayBuffer }
  | { id: number; op: 'digest'; md5: string; sha256: string | undefined; checksum: string | undefined }
  | { id: number; op: 'error'; message: string }
