/**
 * The hash worker: a worker_threads body that computes request-body digests (MD5 for the ETag, SHA-256 for
 * a signed payload, the client's x-amz-checksum-* algorithm) off the event loop. Bodies arrive in
 * transferred buffers; each goes back with its acknowledgement once hashed, for reuse and backpressure.
 * Started by {@link ./hash-pool.ts}; never imported by the server itself.
 *
 * @module
 */
import { createHash, type Hash } from 'node:crypto'
import { parentPort } from 'node:worker_threads'
import { newHasher, type Hasher } from './checksum.js'
import type { HashReply, HashRequest } from './hash-protocol.js'

interface Session {
  md5: Hash
  sha256: Hash | undefined
  checksum: Hasher | undefined
}

const sessions = new Map<number, Session>()
const port = parentPort!

function reply(msg: HashReply): void {
  port.postMessage(msg)
}

port.on('message', (msg: HashRequest) => {
  try {
    switch (msg.op) {
      case 'open':
        sessions.set(msg.id, {
          md5: createHash('md5'),
          sha256: msg.sha256 ? createHash('sha256') : undefined,
          // The existing checksum API, unchanged: whatever algorithms it supports work here too.
          checksum: msg.checksum !== undefined ? newHasher(msg.checksum) : undefined,
        })
        return
      case 'update': {
        const s = sessions.get(msg.id)
        if (s !== undefined) {
          const data = Buffer.from(msg.data, 0, msg.length)
          s.md5.update(data)
          s.sha256?.update(data)
          s.checksum?.update(data)
        }
        // Even for a dropped session: the buffer goes home.
        port.postMessage({ id: msg.id, op: 'ack', bytes: msg.length, data: msg.data } satisfies HashReply, [msg.data])
        return
      }
      case 'digest': {
        const s = sessions.get(msg.id)
        if (s === undefined) return
        sessions.delete(msg.id)
        reply({
          id: msg.id, op: 'digest', md5: s.md5.digest('hex'), sha256: s.sha256?.digest('hex'),
          checksum: s.checksum?.digest().toString('base64'),
        })
        return
      }
      case 'drop':
        sessions.delete(msg.id)
        return
    }
  } catch (err) {
    sessions.delete(msg.id)
    reply({ id: msg.id, op: 'error', message: err instanceof Error ? err.message : String(err) })
  }
})
