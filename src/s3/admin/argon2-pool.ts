/**
 * madmin's Argon2id key derivation off the event loop, bounded. Each derivation costs ~300 ms of CPU and a
 * 64 MiB WebAssembly memory; on the event loop every other request waited for it, and unbounded concurrent
 * calls (any authenticated user can send an Argon2id-encrypted admin body) took the process past 2 GB.
 * One worker thread, created on first use, computes them one after another (a 2-core machine keeps a core
 * for the event loop); at most {@link ARGON2_MAX_IN_FLIGHT} are posted to it and at most
 * {@link ARGON2_MAX_WAITING} more wait here. Beyond that callers get {@link Argon2BusyError} at once, and the
 * admin API answers 503 SlowDown rather than queueing without bound.
 *
 * @module
 */
import type { Worker } from 'node:worker_threads'
import { startModuleWorker } from '../../lib/module-worker.js'
import type { Argon2Reply, Argon2Request } from './argon2-protocol.js'

/** How many derivations the worker holds at once: one running, one ready to start without a round trip. */
export const ARGON2_MAX_IN_FLIGHT = 2
/** How many more wait for the worker; ~300 ms each, so the last waits ~5 s, still inside madmin's timeouts. */
export const ARGON2_MAX_WAITING = 16

/** Argon2BusyError: {@link ARGON2_MAX_IN_FLIGHT} derivations run and {@link ARGON2_MAX_WAITING} wait already. */
export class Argon2BusyError extends Error {
  constructor() {
    super('madmin: too many Argon2id key derivations at once')
    this.name = 'Argon2BusyError'
  }
}

/**
 * The worker's JavaScript heap (MiB). It keeps next to nothing of its own; the 64 MiB WebAssembly memories are
 * outside this limit, and a small heap makes V8 collect the previous derivation's memory sooner.
 */
const WORKER_LIMITS = { maxYoungGenerationSizeMb: 2, maxOldGenerationSizeMb: 32 }

interface Job {
  password: Uint8Array
  salt: Uint8Array
  resolve: (key: Buffer) => void
  reject: (err: Error) => void
}

let worker: Worker | undefined
let nextId = 1
const inFlight = new Map<number, Job>()
const waiting: Job[] = []

/**
 * How long an idle worker lives on. Admin calls with Argon2id bodies come in bursts (an `mc admin` session);
 * between them the worker's isolate and its last WebAssembly memory (~90 MiB resident) are given back.
 */
const IDLE_MS = 30_000
let idleTimer: NodeJS.Timeout | undefined

function stopIdle(): void {
  const w = worker
  if (w === undefined || inFlight.size > 0) return
  // Forgotten first, so its exit is not taken for a crash; the next derivation starts a new one.
  worker = undefined
  void w.terminate()
}

function startWorker(): Worker {
  const w = startModuleWorker(import.meta.url, 'argon2-worker', WORKER_LIMITS)
  w.on('message', (msg: Argon2Reply) => {
    const job = inFlight.get(msg.id)
    if (job === undefined) return
    inFlight.delete(msg.id)
    if (msg.ok) job.resolve(Buffer.from(msg.key.buffer, msg.key.byteOffset, msg.key.byteLength))
    else job.reject(new Error(`madmin Argon2id worker: ${msg.message}`))
    pump()
  })
  const die = (err: Error): void => {
    if (worker !== w) return
    worker = undefined
    // The jobs it held are lost with it; the waiting ones go to a fresh worker.
    for (const job of inFlight.values()) job.reject(err)
    inFlight.clear()
    pump()
  }
  w.on('error', die)
  w.on('exit', (code) => die(new Error(`madmin Argon2id worker exited with code ${code}`)))
  return w
}

function pump(): void {
  if (worker === undefined && waiting.length > 0) {
    try {
      worker = startWorker()
    } catch (err) {
      for (const job of waiting.splice(0)) job.reject(err as Error)
      return
    }
  }
  while (worker !== undefined && inFlight.size < ARGON2_MAX_IN_FLIGHT && waiting.length > 0) {
    const job = waiting.shift()!
    const id = nextId++
    inFlight.set(id, job)
    worker.postMessage({ id, password: job.password, salt: job.salt } satisfies Argon2Request)
  }
  // An idle worker must not keep a finished process (CLI, tests) alive; a busy one must, or a CLI awaiting
  // its key would exit early. ('message' listeners ref the worker, so this comes after them.)
  clearTimeout(idleTimer)
  if (inFlight.size > 0) {
    worker?.ref()
  } else if (worker !== undefined) {
    worker.unref()
    idleTimer = setTimeout(stopIdle, IDLE_MS).unref()
  }
}

/**
 * deriveArgon2id computes madmin's Argon2id key (t=1, m=64 MiB, p=4, 32 bytes) in the worker thread.
 * Never throws; rejects at once with {@link Argon2BusyError} when the bounded queue is full (nothing was queued),
 * and with an Error when the worker cannot be started or dies during the derivation.
 */
export function deriveArgon2id(password: Uint8Array, salt: Uint8Array): Promise<Buffer> {
  if (inFlight.size >= ARGON2_MAX_IN_FLIGHT && waiting.length >= ARGON2_MAX_WAITING) return Promise.reject(new Argon2BusyError())
  return new Promise<Buffer>((resolve, reject) => {
    // Copies: the caller may reuse its buffers, and the worker receives them by structured clone anyway.
    waiting.push({ password: Uint8Array.from(password), salt: Uint8Array.from(salt), resolve, reject })
    pump()
  })
}
