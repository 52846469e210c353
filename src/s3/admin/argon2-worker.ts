/**
 * The madmin Argon2id worker: a worker_threads body that derives madmin's Argon2id keys with hash-wasm, so that
 * the 64 MiB, ~300 ms memory-hard derivation never runs on the server's event loop. Started by
 * {@link ./argon2-pool.ts}; never imported by the server itself.
 *
 * @module
 */
import { parentPort } from 'node:worker_threads'
import { argon2id } from 'hash-wasm'
import type { Argon2Reply, Argon2Request } from './argon2-protocol.js'

const port = parentPort!

async function derive(msg: Argon2Request): Promise<Argon2Reply> {
  try {
    // madmin-go encrypt.go: argon2idTime 1, argon2idMemory 64 MiB, argon2idThreads 4, 32-byte key.
    const key = await argon2id({
      password: msg.password, salt: msg.salt, iterations: 1, memorySize: 64 * 1024,
      parallelism: 4, hashLength: 32, outputType: 'binary',
    })
    return { id: msg.id, ok: true, key }
  } catch (err) {
    return { id: msg.id, ok: false, message: err instanceof Error ? err.message : String(err) }
  }
}

// One derivation at a time: hash-wasm gives every call its own 64 MiB WebAssembly memory, so overlapping calls
// (they await while instantiating) would hold several at once. A request that arrives meanwhile waits here,
// already posted, and starts the moment the previous one ends.
let chain: Promise<void> = Promise.resolve()
port.on('message', (msg: Argon2Request) => {
  chain = chain.then(async () => port.postMessage(await derive(msg)))
})
