/**
 * Request-body digests off the event loop. TLS decryption, stream plumbing and hashing used to share the
 * one JavaScript thread, and MD5 alone (~2 CPU s per GiB) capped large PUTs; a small pool of worker threads
 * now hashes while the event loop moves bytes to disk. Bytes are copied (cheap next to hashing) into
 * buffers that are transferred to the worker and transferred back with its acknowledgement, then reused:
 * no thread ever holds memory another thread's garbage collector must free. The caller bounds the bytes in
 * flight ({@link OffloadedHash.whenBelow}) so memory stays flat when the workers fall behind.
 *
 * @module
 */
import { availableParallelism } from 'node:os'
import type { Worker } from 'node:worker_threads'
import { startModuleWorker } from '../../lib/module-worker.js'
import { giveSpare, POOLED_BUFFER_SIZE, takeSpare } from '../api/buffer-pool.js'
import type { ChecksumAlgorithm } from './checksum.js'
import type { HashReply, HashRequest } from './hash-protocol.js'

/** BodyDigests are one body's results. */
export interface BodyDigests {
  md5Hex: string
  sha256Hex: string | undefined
  /** The client's checksum algorithm's value, base64 (as S3 sends it). */
  checksumBase64: string | undefined
}

/**
 * How many workers: one per core beside the event loop's, at most four. Each worker is a V8 isolate (tens of
 * MiB resident), and one worker hashes ~400 MB/s, more than a 2-core machine takes in.
 */
const POOL_SIZE = Math.max(1, Math.min(4, availableParallelism() - 1))

/** Heap limits of a hash worker (MiB); hashing keeps well under them, see the constructor. */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 48 }

class PooledWorker {
  readonly sessions = new Map<number, OffloadedHash>()
  readonly worker: Worker
  dead = false

  constructor() {
    // The worker allocates almost nothing of its own (the bytes arrive in transferred buffers and go back), so
    // a small heap is plenty, and V8's default young generation would otherwise add tens of MiB of resident
    // memory to a server whose whole budget while a 1 GiB object streams is 200 MiB.
    this.worker = startModuleWorker(import.meta.url, 'hash-worker', WORKER_LIMITS)
    this.worker.on('message', (msg: HashReply) => {
      if (msg.op === 'ack') giveSpare(msg.data)
      this.sessions.get(msg.id)?.receive(msg)
    })
    this.worker.on('error', (err) => this.die(err))
    this.worker.on('exit', (code) => this.die(new Error(`hash worker exited with code ${code}`)))
    // Idle workers must not keep a finished process (CLI, tests) alive. After the listeners: adding a
    // 'message' listener refs the worker's port again.
    this.worker.unref()
  }

  post(msg: HashRequest): void {
    this.worker.postMessage(msg, msg.op === 'update' ? [msg.data] : [])
  }

  private die(err: Error): void {
    if (this.dead) return
    this.dead = true
    const i = pool.indexOf(this)
    if (i >= 0) pool.splice(i, 1)
    for (const s of this.sessions.values()) s.fail(err)
    this.sessions.clear()
  }
}

const pool: PooledWorker[] = []
let nextId = 1

/** The size of one update's transfer buffer: the shared pool's ({@link takeSpare}). */
const SLOT = POOLED_BUFFER_SIZE

function pickWorker(): PooledWorker {
  // A new worker only when every existing one is busy: one upload at a time needs one (warm) worker.
  const idle = pool.find((w) => w.sessions.size === 0)
  if (idle !== undefined) return idle
  if (pool.length < POOL_SIZE) {
    const w = new PooledWorker()
    pool.push(w)
    return w
  }
  return pool.reduce((a, b) => (b.sessions.size < a.sessions.size ? b : a))
}

/** OffloadedHash is one body's hash session in a worker. */
export class OffloadedHash {
  private backlog = 0
  private waiter: { limit: number; cb: () => void } | undefined
  private failure: Error | undefined
  private settle: { resolve: (d: BodyDigests) => void; reject: (e: Error) => void } | undefined
  private closed = false

  /** @internal Made by {@link openOffloadedHash}. */
  constructor(private readonly owner: PooledWorker, private readonly id: number) {}

  /** update hashes (a copy of) data in the worker; data may be reused at once. Throws TypeError after digest/drop. */
  update(data: Uint8Array): void {
    if (this.closed) throw new TypeError('OffloadedHash is closed')
    if (this.failure !== undefined) return
    for (let offset = 0; offset < data.length; offset += SLOT) {
      const length = Math.min(SLOT, data.length - offset)
      const ab = takeSpare()
      new Uint8Array(ab).set(data.subarray(offset, offset + length))
      this.backlog += length
      this.owner.post({ id: this.id, op: 'update', data: ab, length })
    }
  }

  /** whenBelow calls cb once at most `limit` bytes wait to be hashed (at once if so now, or after a failure). */
  whenBelow(limit: number, cb: () => void): void {
    if (this.backlog <= limit || this.failure !== undefined) cb()
    else this.waiter = { limit, cb }
  }

  /** digest ends the session; rejects with the worker's error if it failed. */
  digest(): Promise<BodyDigests> {
    this.closed = true
    if (this.failure !== undefined) return Promise.reject(this.failure)
    return new Promise((resolve, reject) => {
      this.settle = { resolve, reject }
      this.owner.post({ id: this.id, op: 'digest' })
    })
  }

  /** drop abandons the session (the body failed); never throws. */
  drop(): void {
    if (this.closed) return
    this.closed = true
    this.owner.sessions.delete(this.id)
    if (!this.owner.dead) this.owner.post({ id: this.id, op: 'drop' })
  }

  /** @internal A worker's reply for this session. */
  receive(msg: HashReply): void {
    if (msg.op === 'ack') {
      this.backlog -= msg.bytes
      this.release()
    } else if (msg.op === 'digest') {
      this.owner.sessions.delete(this.id)
      this.settle?.resolve({ md5Hex: msg.md5, sha256Hex: msg.sha256, checksumBase64: msg.checksum })
    } else {
      this.owner.sessions.delete(this.id)
      this.fail(new Error(`hash worker: ${msg.message}`))
    }
  }

  /** @internal The worker died or refused the session. */
  fail(err: Error): void {
    if (this.failure !== undefined) return
    this.failure = err
    this.settle?.reject(err)
    this.release()
  }

  private release(): void {
    const w = this.waiter
    if (w !== undefined && (this.backlog <= w.limit || this.failure !== undefined)) {
      this.waiter = undefined
      w.cb()
    }
  }
}

/**
 * openOffloadedHash starts hashing a body in a pooled worker: always MD5, plus SHA-256 and a checksum
 * algorithm when asked. Throws if a worker cannot be created; a worker that fails later rejects digest().
 */
export function openOffloadedHash(opts: { sha256: boolean; checksum: ChecksumAlgorithm | undefined }): OffloadedHash {
  const owner = pickWorker()
  const id = nextId++
  const session = new OffloadedHash(owner, id)
  owner.sessions.set(id, session)
  owner.post({ id, op: 'open', sha256: opts.sha256, checksum: opts.checksum })
  return session
}
