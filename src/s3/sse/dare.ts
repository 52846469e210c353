/**
 * DARE 2.0 packages (minio/sio): the format MinIO stores encrypted object bytes and sealed keys in.
 *
 * A package is header[16] ‖ AEAD(payload 1..65536) ‖ tag[16]. Header: 0x20, cipher suite,
 * LE16(len − 1), 12-byte stream nonce whose top bit is the final flag. The AEAD nonce of package
 * `seq` is header[4:16] with its last four bytes XOR'ed with LE32(seq); the AAD is header[0:4].
 * Decryption takes the stream nonce from the headers and never derives it, so streams read back whatever
 * nonce they were written with (random now; parts of older versions carry SHA-256(uploadId ‖ part)[:12]).
 *
 * @module
 */
import { createCipheriv, createDecipheriv, randomBytes, timingSafeEqual } from 'node:crypto'

/** VERSION_20 is the DARE 2.0 version byte. */
const VERSION_20 = 0x20
/** AES_256_GCM is the DARE cipher-suite id MinIO writes on x86. */
const AES_256_GCM = 0x00
/** CHACHA20_POLY1305 is the DARE cipher-suite id MinIO writes on arm64; read-only here. */
const CHACHA20_POLY1305 = 0x01
/** HEADER_SIZE is the size of a package header. */
export const HEADER_SIZE = 16
/** TAG_SIZE is the size of a package authentication tag. */
export const TAG_SIZE = 16
/** MAX_PAYLOAD is the plaintext size of every non-final package. */
export const MAX_PAYLOAD = 65536
/** MAX_PACKAGE is the stored size of a full package. */
export const MAX_PACKAGE = HEADER_SIZE + MAX_PAYLOAD + TAG_SIZE

/** DareError: the ciphertext is malformed or not authentic. Its message never contains key or data bytes. */
export class DareError extends Error {
  constructor(message: string) {
    super(`sio: ${message}`)
    this.name = 'DareError'
  }
}

/** encryptedSize returns the stored size of `n` plaintext bytes (sio.EncryptedSize). Throws RangeError if negative. */
export function encryptedSize(n: number): number {
  if (n < 0 || !Number.isSafeInteger(n)) throw new RangeError('invalid plaintext size')
  const full = Math.floor(n / MAX_PAYLOAD)
  const rest = n % MAX_PAYLOAD
  return full * MAX_PACKAGE + (rest > 0 ? rest + HEADER_SIZE + TAG_SIZE : 0)
}

/** decryptedSize returns the plaintext size of `n` stored bytes (sio.DecryptedSize). Throws DareError if `n` is no valid DARE size. */
export function decryptedSize(n: number): number {
  if (n < 0 || !Number.isSafeInteger(n)) throw new DareError('invalid ciphertext size')
  const full = Math.floor(n / MAX_PACKAGE)
  const rest = n % MAX_PACKAGE
  if (rest > 0 && rest <= HEADER_SIZE + TAG_SIZE) throw new DareError('invalid ciphertext size')
  return full * MAX_PAYLOAD + (rest > 0 ? rest - HEADER_SIZE - TAG_SIZE : 0)
}

function aeadNonce(header: Buffer, seq: number): Buffer {
  const nonce = Buffer.from(header.subarray(4, HEADER_SIZE))
  nonce.writeUInt32LE((nonce.readUInt32LE(8) ^ seq) >>> 0, 8)
  return nonce
}

/**
 * sealPackage encrypts one payload (1..65536 bytes, given as pieces to avoid copies) into a package.
 * Throws RangeError for an empty or oversized payload.
 */
export function sealPackage(key: Buffer, streamNonce: Buffer, seq: number, final: boolean, pieces: readonly Buffer[]): Buffer[] {
  let length = 0
  for (const p of pieces) length += p.length
  if (length < 1 || length > MAX_PAYLOAD) throw new RangeError('invalid DARE payload length')
  const header = Buffer.allocUnsafe(HEADER_SIZE)
  header[0] = VERSION_20
  header[1] = AES_256_GCM
  header.writeUInt16LE(length - 1, 2)
  streamNonce.copy(header, 4, 0, 12)
  header[4] = final ? header[4]! | 0x80 : header[4]! & 0x7f
  const cipher = createCipheriv('aes-256-gcm', key, aeadNonce(header, seq))
  cipher.setAAD(header.subarray(0, 4))
  const out: Buffer[] = [header]
  for (const p of pieces) out.push(cipher.update(p))
  out.push(cipher.final(), cipher.getAuthTag())
  return out
}

/** Reference header of a stream: every package must share its cipher and nonce. */
export interface StreamRef {
  cipher: number
  nonce: Buffer
}

/**
 * openPackage authenticates and decrypts one complete package. `ref` is filled from the first
 * package of a stream and checked against the following ones. Returns the plaintext and whether
 * the package is final. Throws DareError on any malformed or unauthentic input.
 */
function openPackage(key: Buffer, seq: number, pkg: Buffer, ref: { value?: StreamRef }): { plaintext: Buffer; final: boolean } {
  const opened = openPackagePieces(key, seq, [pkg], pkg.length, ref)
  return { plaintext: opened.plaintext.length === 1 ? opened.plaintext[0]! : Buffer.concat(opened.plaintext), final: opened.final }
}

function slice(pieces: readonly Buffer[], from: number, to: number): Buffer[] {
  const out: Buffer[] = []
  let off = 0
  for (const p of pieces) {
    const a = Math.max(from, off)
    const b = Math.min(to, off + p.length)
    if (a < b) out.push(p.subarray(a - off, b - off))
    off += p.length
    if (off >= to) break
  }
  return out
}

function contiguous(pieces: Buffer[]): Buffer {
  return pieces.length === 1 ? pieces[0]! : Buffer.concat(pieces)
}

/**
 * openPackagePieces is {@link openPackage} for a package given as consecutive pieces of `size`
 * bytes in all (as they arrive from a file stream), so the ciphertext is never copied. Plaintext is
 * returned only after the tag verified. Throws DareError on any malformed or unauthentic input.
 */
export function openPackagePieces(key: Buffer, seq: number, pieces: readonly Buffer[], size: number, ref: { value?: StreamRef }): { plaintext: Buffer[]; final: boolean } {
  if (size <= HEADER_SIZE + TAG_SIZE) throw new DareError('invalid payload size')
  const header = contiguous(slice(pieces, 0, HEADER_SIZE))
  if (header[0] !== VERSION_20) throw new DareError('unsupported version')
  const cipherId = header[1]!
  if (cipherId !== AES_256_GCM && cipherId !== CHACHA20_POLY1305) throw new DareError('unsupported cipher')
  const length = header.readUInt16LE(2) + 1
  if (HEADER_SIZE + length + TAG_SIZE !== size) throw new DareError('invalid payload size')
  const final = (header[4]! & 0x80) !== 0
  if (!final && length !== MAX_PAYLOAD) throw new DareError('invalid payload size')
  const nonce = Buffer.from(header.subarray(4, HEADER_SIZE))
  nonce[0] = nonce[0]! & 0x7f
  ref.value ??= { cipher: cipherId, nonce }
  if (ref.value.cipher !== cipherId) throw new DareError('unsupported cipher')
  if (!timingSafeEqual(ref.value.nonce, nonce)) throw new DareError('nonce mismatch')
  const iv = aeadNonce(header, seq)
  const decipher = cipherId === AES_256_GCM
    ? createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_SIZE })
    : createDecipheriv('chacha20-poly1305', key, iv, { authTagLength: TAG_SIZE })
  decipher.setAAD(header.subarray(0, 4), { plaintextLength: length })
  decipher.setAuthTag(contiguous(slice(pieces, HEADER_SIZE + length, size)))
  const plaintext = slice(pieces, HEADER_SIZE, HEADER_SIZE + length).map((p) => decipher.update(p))
  try {
    decipher.final()
  } catch {
    throw new DareError('authentication failed')
  }
  return { plaintext, final }
}

/**
 * encryptBuffer encrypts a whole buffer as one DARE 2.0 stream (for small values: sealed keys,
 * ETags). An empty input gives an empty output. Throws RangeError for a bad key or nonce size.
 */
export function encryptBuffer(key: Buffer, plaintext: Buffer, streamNonce: Buffer = randomBytes(12)): Buffer {
  if (key.length !== 32 || streamNonce.length !== 12) throw new RangeError('invalid DARE key or nonce size')
  const out: Buffer[] = []
  let seq = 0
  for (let off = 0; off < plaintext.length; off += MAX_PAYLOAD, seq++) {
    const end = Math.min(off + MAX_PAYLOAD, plaintext.length)
    out.push(...sealPackage(key, streamNonce, seq, end === plaintext.length, [plaintext.subarray(off, end)]))
  }
  return Buffer.concat(out)
}

/** decryptBuffer decrypts a whole DARE 2.0 stream. Throws DareError if it is malformed, truncated or not authentic. */
export function decryptBuffer(key: Buffer, ciphertext: Buffer): Buffer {
  const out: Buffer[] = []
  const ref: { value?: StreamRef } = {}
  let off = 0
  let seq = 0
  let final = false
  while (off < ciphertext.length) {
    if (final) throw new DareError('unexpected data after final package')
    if (ciphertext.length - off < HEADER_SIZE) throw new DareError('invalid payload size')
    const size = HEADER_SIZE + ciphertext.readUInt16LE(off + 2) + 1 + TAG_SIZE
    const opened = openPackage(key, seq++, ciphertext.subarray(off, off + size), ref)
    out.push(opened.plaintext)
    final = opened.final
    off += size
  }
  if (ciphertext.length > 0 && !final) throw new DareError('unexpected EOF')
  return Buffer.concat(out)
}
