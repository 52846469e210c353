/**
 * The hash chain that makes the audit file tamper-evident.
 *
 * Each line is one JSON object ending in `"seq":N,"prev":"<hex>","hash":"<hex>"}`. `hash` is the
 * SHA-256 of the line's exact bytes without the `,"hash":"…"` member, and that body includes
 * `prev`, the hash of the line before (64 zeros for the first). Hashing the bytes as written,
 * rather than a re-serialisation, means the verifier never depends on JSON formatting details.
 *
 * A changed line fails its own hash; a removed or reordered line breaks the `prev` link, and `seq`
 * tells which of the two happened. Cutting lines off the end cannot be detected from the file
 * alone: compare the count with an external record (the metrics' audit counter, a shipped copy).
 *
 * @module
 */
import { createHash } from 'node:crypto'

/** The `prev` of the first record of a chain. */
export const GENESIS_HASH = '0'.repeat(64)

/** Where a chain stands: the sequence number and hash of its last record. */
export interface ChainState {
  seq: number
  hash: string
}

const HASH_MEMBER = /,"hash":"([0-9a-f]{64})"\}$/
const HEX64 = /^[0-9a-f]{64}$/

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex')
}

/**
 * AuditChain seals JSON records into chained lines. Throws nothing; not safe to share between
 * processes (one writer owns a chain: the cluster primary when there are workers).
 */
export class AuditChain {
  #seq: number
  #hash: string

  /** Continues the chain after `state` (the genesis state when omitted). */
  constructor(state: ChainState = { seq: 0, hash: GENESIS_HASH }) {
    this.#seq = state.seq
    this.#hash = state.hash
  }

  /** The state after the last sealed record. */
  get state(): ChainState {
    return { seq: this.#seq, hash: this.#hash }
  }

  /** seal returns `event` as one chained line, newline included, and advances the chain. */
  seal(event: object): string {
    const json = JSON.stringify(event)
    const seq = this.#seq + 1
    // `event` is a plain object literal, so its JSON ends in '}' and may be empty ('{}').
    const sep = json.length > 2 ? ',' : ''
    const body = `${json.slice(0, -1)}${sep}"seq":${seq},"prev":"${this.#hash}"}`
    const hash = sha256(body)
    this.#seq = seq
    this.#hash = hash
    return `${body.slice(0, -1)},"hash":"${hash}"}\n`
  }
}

/** A line's chain fields, once its own hash checked out. */
interface SealedLine {
  seq: number
  prev: string
  hash: string
}

/**
 * parseSealedLine checks one line's own hash and returns its chain fields, or a reason it is not
 * an intact record. Throws nothing.
 */
export function parseSealedLine(line: string): SealedLine | string {
  const match = HASH_MEMBER.exec(line)
  if (!match) return 'not a sealed audit record'
  let parsed: unknown
  try {
    parsed = JSON.parse(line)
  } catch {
    return 'not valid JSON'
  }
  const rec = parsed as { seq?: unknown; prev?: unknown; hash?: unknown }
  if (!Number.isSafeInteger(rec.seq) || (rec.seq as number) < 1) return 'missing or invalid seq'
  if (typeof rec.prev !== 'string' || !HEX64.test(rec.prev)) return 'missing or invalid prev'
  const body = `${line.slice(0, match.index)}}`
  if (sha256(body) !== match[1] || rec.hash !== match[1]) return 'hash does not match its content'
  return { seq: rec.seq as number, prev: rec.prev, hash: match[1] }
}

/** The verdict on an audit file. */
export type VerifyResult =
  | { ok: true; count: number; state: ChainState }
  | { ok: false; line: number; kind: 'changed' | 'removed' | 'reordered'; message: string }

/**
 * verifyChain walks the lines of an audit file and reports the first record that was changed,
 * removed or reordered. Throws nothing. A final empty string (after the last newline) is ignored.
 */
export function verifyChain(lines: Iterable<string>): VerifyResult {
  let state: ChainState = { seq: 0, hash: GENESIS_HASH }
  let lineNo = 0
  let pendingEmpty = false
  for (const line of lines) {
    if (pendingEmpty) {
      return { ok: false, line: lineNo, kind: 'changed', message: `line ${lineNo}: empty line inside the log` }
    }
    lineNo++
    if (line === '') {
      pendingEmpty = true
      continue
    }
    const sealed = parseSealedLine(line)
    const expected = state.seq + 1
    if (typeof sealed === 'string') {
      return { ok: false, line: lineNo, kind: 'changed', message: `line ${lineNo} (record ${expected}): changed: ${sealed}` }
    }
    if (sealed.prev !== state.hash) {
      if (sealed.seq > expected) {
        const which = sealed.seq - 1 === expected ? `record ${expected}` : `records ${expected}-${sealed.seq - 1}`
        return { ok: false, line: lineNo, kind: 'removed', message: `line ${lineNo}: ${which} removed before record ${sealed.seq}` }
      }
      if (sealed.seq < expected) {
        return { ok: false, line: lineNo, kind: 'reordered', message: `line ${lineNo}: record ${sealed.seq} out of order (expected record ${expected})` }
      }
      // Same position, broken link: the line before was rewritten with a recomputed hash.
      return { ok: false, line: lineNo - 1, kind: 'changed', message: `line ${lineNo - 1} (record ${state.seq}): changed: the next record does not link to it` }
    }
    if (sealed.seq !== expected) {
      return { ok: false, line: lineNo, kind: 'changed', message: `line ${lineNo} (record ${expected}): changed: seq ${sealed.seq} does not follow ${state.seq}` }
    }
    state = { seq: sealed.seq, hash: sealed.hash }
  }
  return { ok: true, count: state.seq, state }
}
