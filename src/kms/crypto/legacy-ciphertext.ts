/**
 * The two legacy ciphertext containers KES once produced, which decrypt must still accept:
 * a msgpack array (≈ v0.18 … Oct 2023) and a JSON object (≤ v0.17). Both carry the same
 * AEAD data as the current format, plus the algorithm that made them.
 *
 * @module
 */
import { decodeBase64 } from './base64.js'
import { IV_SIZE, NONCE_SIZE } from './aead.js'
import type { KeyAlgorithm } from './key.js'
import { jsonMembers } from './key-json.js'

/** A parsed container: the AEAD inputs and the algorithm the container records. */
export interface LegacyCiphertext {
  algorithm: KeyAlgorithm
  iv: Uint8Array
  nonce: Uint8Array
  /** AEAD ciphertext ‖ tag. */
  sealed: Uint8Array
}

const MSGPACK_ALGORITHMS: Record<string, KeyAlgorithm> = {
  'AES256-GCM_SHA256': 'AES256', 'XCHACHA20-POLY1305': 'ChaCha20', AES256: 'AES256', ChaCha20: 'ChaCha20',
}
const JSON_ALGORITHMS: Record<string, KeyAlgorithm> = {
  'AES-256-GCM-HMAC-SHA-256': 'AES256', ChaCha20Poly1305: 'ChaCha20',
}

/** A bounds-checked cursor over msgpack bytes; every read returns undefined on a mismatch. */
class MsgpackReader {
  pos = 0
  constructor(private readonly buf: Uint8Array) {}

  get done(): boolean {
    return this.pos === this.buf.length
  }

  private uint(size: 1 | 2 | 4): number | undefined {
    if (this.buf.length - this.pos < size) return undefined
    let n = 0
    for (let i = 0; i < size; i++) n = n * 256 + this.buf[this.pos + i]!
    this.pos += size
    return n
  }

  private slice(n: number): Uint8Array | undefined {
    if (this.buf.length - this.pos < n) return undefined
    const out = this.buf.subarray(this.pos, this.pos + n)
    this.pos += n
    return out
  }

  /** fixarray / array16 / array32 header: the item count. */
  arrayHeader(): number | undefined {
    const t = this.uint(1)
    if (t === undefined) return undefined
    if (t >= 0x90 && t <= 0x9f) return t & 0x0f
    if (t === 0xdc) return this.uint(2)
    if (t === 0xdd) return this.uint(4)
    return undefined
  }

  /** fixstr / str8 / str16 / str32, decoded as Latin-1 (only ASCII names are ever compared). */
  str(): string | undefined {
    const t = this.uint(1)
    let n: number | undefined
    if (t === undefined) return undefined
    if (t >= 0xa0 && t <= 0xbf) n = t & 0x1f
    else if (t === 0xd9) n = this.uint(1)
    else if (t === 0xda) n = this.uint(2)
    else if (t === 0xdb) n = this.uint(4)
    const bytes = n === undefined ? undefined : this.slice(n)
    return bytes === undefined ? undefined : Buffer.from(bytes).toString('latin1')
  }

  /** bin8 / bin16 / bin32. */
  bin(): Uint8Array | undefined {
    const t = this.uint(1)
    const n = t === 0xc4 ? this.uint(1) : t === 0xc5 ? this.uint(2) : t === 0xc6 ? this.uint(4) : undefined
    return n === undefined ? undefined : this.slice(n)
  }
}

/**
 * Parses `[algorithm: str, keyID: str, iv: bin(16), nonce: bin(12), sealed: bin]` with no trailing
 * bytes. Returns undefined if `b` is not exactly that. Never throws.
 */
export function parseMsgpackCiphertext(b: Uint8Array): LegacyCiphertext | undefined {
  const r = new MsgpackReader(b)
  if (r.arrayHeader() !== 5) return undefined
  const name = r.str()
  if (name === undefined || r.str() === undefined) return undefined // the key ID is not checked
  const iv = r.bin()
  const nonce = r.bin()
  const sealed = r.bin()
  if (iv?.length !== IV_SIZE || nonce?.length !== NONCE_SIZE || sealed === undefined || !r.done) return undefined
  const algorithm = Object.hasOwn(MSGPACK_ALGORITHMS, name) ? MSGPACK_ALGORITHMS[name] : undefined
  return algorithm === undefined ? undefined : { algorithm, iv, nonce, sealed }
}

function jsonBytes(v: unknown): Uint8Array | undefined {
  if (v === undefined) return new Uint8Array(0) // null or absent: Go leaves the []byte empty
  return typeof v === 'string' ? decodeBase64(v) : undefined
}

/**
 * Parses `{"aead":..,"id":..,"iv":b64(16),"nonce":b64(12),"bytes":b64}` with Go's JSON rules.
 * Returns undefined on bad JSON, an unknown `aead`, wrong sizes or types. Never throws.
 */
export function parseJsonCiphertext(b: Uint8Array): LegacyCiphertext | undefined {
  let m: Map<string, unknown>
  try {
    const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(b)
    m = jsonMembers(JSON.parse(text), ['aead', 'id', 'iv', 'nonce', 'bytes'])
  } catch {
    return undefined
  }
  const name = m.get('aead')
  const id = m.get('id')
  if (typeof name !== 'string' || (id !== undefined && typeof id !== 'string')) return undefined
  const algorithm = Object.hasOwn(JSON_ALGORITHMS, name) ? JSON_ALGORITHMS[name] : undefined
  const iv = jsonBytes(m.get('iv'))
  const nonce = jsonBytes(m.get('nonce'))
  const sealed = jsonBytes(m.get('bytes'))
  if (algorithm === undefined || iv?.length !== IV_SIZE || nonce?.length !== NONCE_SIZE || sealed === undefined) {
    return undefined
  }
  return { algorithm, iv, nonce, sealed }
}
