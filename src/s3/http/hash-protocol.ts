/**
 * Messages between the server and its hash workers ({@link ./hash-pool.ts}, {@link ./hash-worker.ts}).
 *
 * @module
 */
import type { ChecksumAlgorithm } from '../checksum.js'

/** HashRequest is a message to a hash worker; `id` names one body's hash session. */
export type HashRequest =
  | { id: number; op: 'open'; sha256: boolean; checksum: ChecksumAlgorithm | undefined }
  /** data is a view of a SharedArrayBuffer, so posting it shares the bytes instead of copying them. */
  | { id: number; op: 'update'; data: Uint8Array }
  | { id: number; op: 'digest' }
  | { id: number; op: 'drop' }

/** HashReply is a hash worker's answer. */
export type HashReply =
  | { id: number; op: 'ack'; bytes: number }
  | { id: number; op: 'digest'; md5: string; sha256: string | undefined; checksum: string | undefined }
  | { id: number; op: 'error'; message: string }
