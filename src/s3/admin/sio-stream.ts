/**
 * The secure-io/sio-go v0.3.1 stream format that madmin's encrypted bodies use: 16 KiB fragments,
 * a 12-byte nonce = 8-byte stream nonce ‖ LE-uint32(sequence), and associated data 0x00/0x80 ‖
 * tag(empty message) marking non-final and final fragments.
 *
 * @module
 */
import { createCipheriv, createDecipheriv } from 'node:crypto'

/** The AEADs madmin uses. */
export type SioCipher = 'aes-256-gcm' | 'chacha20-poly1305'

const BUF = 16384
const TAG = 16

/** SioError: a stream failed authentication or is truncated. The message never contains key material. */
export class SioError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'SioError'
  }
}

function nonceFor(nonce: Buffer, seq: number): Buffer {
  const out = Buffer.alloc(12)
  nonce.copy(out, 0, 0, 8)
  out.writeUInt32LE(seq, 8)
  return out
}

function seal(cipher: SioCipher, key: Buffer, nonce: Buffer, plain: Buffer, aad: Buffer): Buffer {
  // Both AEADs share the GCM call shape (12-byte nonce, 16-byte tag, AAD).
  const c = createCipheriv(cipher as 'aes-256-gcm', key, nonce, { authTagLength: TAG })
  c.setAAD(aad, { plaintextLength: plain.length })
  return Buffer.concat([c.update(plain), c.final(), c.getAuthTag()])
}

function open(cipher: SioCipher, key: Buffer, nonce: Buffer, sealed: Buffer, aad: Buffer): Buffer {
  if (sealed.length < TAG) throw new SioError('sio: stream is truncated')
  const d = createDecipheriv(cipher as 'aes-256-gcm', key, nonce, { authTagLength: TAG })
  d.setAuthTag(sealed.subarray(sealed.length - TAG))
  d.setAAD(aad, { plaintextLength: sealed.length - TAG })
  try {
    return Buffer.concat([d.update(sealed.subarray(0, sealed.length - TAG)), d.final()])
  } catch {
    throw new SioError('sio: authentication failed')
  }
}

function associatedData(cipher: SioCipher, key: Buffer, nonce: Buffer): Buffer {
  const adTag = seal(cipher, key, nonceFor(nonce, 0), Buffer.alloc(0), Buffer.alloc(0))
  return Buffer.concat([Buffer.from([0]), adTag])
}

/** sioSeal encrypts `plain` as one sio-go stream. Throws only if the key/nonce sizes are wrong. */
export function sioSeal(cipher: SioCipher, key: Buffer, nonce: Buffer, plain: Buffer): Buffer {
  const ad = associatedData(cipher, key, nonce)
  const out: Buffer[] = []
  let seq = 1
  let off = 0
  // The writer holds back the last full buffer, so the final fragment may carry 16384 bytes.
  while (plain.length - off > BUF) {
    out.push(seal(cipher, key, nonceFor(nonce, seq++), plain.subarray(off, off + BUF), ad))
    off += BUF
  }
  const finalAd = Buffer.from(ad)
  finalAd[0] = 0x80
  out.push(seal(cipher, key, nonceFor(nonce, seq), plain.subarray(off), finalAd))
  return Buffer.concat(out)
}

/** sioOpen decrypts a sio-go stream. Throws SioError when it is not authentic or truncated. */
export function sioOpen(cipher: SioCipher, key: Buffer, nonce: Buffer, sealed: Buffer): Buffer {
  const ad = associatedData(cipher, key, nonce)
  const finalAd = Buffer.from(ad)
  finalAd[0] = 0x80
  const out: Buffer[] = []
  let seq = 1
  let off = 0
  const frag = BUF + TAG
  while (sealed.length - off > frag) {
    out.push(open(cipher, key, nonceFor(nonce, seq++), sealed.subarray(off, off + frag), ad))
    off += frag
  }
  out.push(open(cipher, key, nonceFor(nonce, seq), sealed.subarray(off), finalAd))
  return Buffer.concat(out)
}
