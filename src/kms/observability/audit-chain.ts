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
import { hash as oneShotHash } from 'node:crypto'

/** The `prev` of the first record of a chain. */
export const GENESIS_HASH = '0'.repeat(64)

/** Where a chain stands: the sequence number and hash of its last record. */
export interface ChainState {
  seq: number
  hash: string
}

const HASH_MEMBER = /,"hash":"([0-9a-f]{64})"\}$/
const HEX64 = /^[0-9a-f]{64}$/

// The one-shot hash makes no Hash object per record: that object was most of a seal's cost.
function sha256(text: string): string {
  return oneShotHash('sha256', text, 'hex')
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
    return this.sealJson(JSON.stringify(event))
  }

  /**
   * sealJson is {@link seal} for an event already serialised by `JSON.stringify` (a JSON object,
   * no newline): the primary receives events as text and must not parse and re-serialise them.
   */
  sealJson(json: string): string {
    const seq = this.#seq + 1
    // `json` is a plain object's JSON, so it ends in '}' and may be empty ('{}').
    const sep = json.length > 2 ? ',' : ''
    const body = `${json.slice(0, -1)}${sep}"seq":${seq},"prev":"${this.#hash}"}`
    const hash = sha256(body)
    this.#seq = seq
    this.#hash = hash
    return `${body.slice(0, -1)},"hash":"${hash}"}\n`
  }

  /**
   * sealBatch seals several serialised events given as one text, one JSON object per line
   * (`JSON.stringify` output joined by '\n', no trailing newline), and returns their chained lines
   * as one text to append in one write. The lines are exactly those of sealing each in turn.
   */
  sealBatch(jsonLines: string): string {
    let out = ''
    let start = 0
    for (;;) {
      const end = jsonLines.indexOf('\n', start)
      out += this.sealJson(end < 0 ? jsonLines.slice(start) : jsonLines.slice(start, end))
      if (end < 0) return out
      start = end + 1
    }
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

/** The first break found in an audit file. */
export interface VerifyFailure {
  ok: false
  /** The 1-based line number of the offending record. */
  line: number
  kind: 'changed' | 'removed' | 'reordered'
  message: string
}

/** The verdict on an audit file. */
export type VerifyResult = { ok: true; count: number; state: ChainState } | VerifyFailure

/**
 * ChainVerifier checks an audit file line by line (so files of any size stream through it) and
 * stops at the first record that was changed, removed or reordered. Throws nothing.
 */
export class ChainVerifier {
  #state: ChainState = { seq: 0, hash: GENESIS_HASH }
  #lineNo = 0
  #emptyAt = 0
  #failure: VerifyFailure | undefined

  /** push checks the next line (without its newline) and returns the failure, once there is one. */
  push(line: string): VerifyFailure | undefined {
    if (this.#failure) return this.#failure
    this.#failure = this.#check(line)
    return this.#failure
  }

  /** result is the verdict on the lines pushed so far. */
  result(): VerifyResult {
    return this.#failure ?? { ok: true, count: this.#state.seq, state: this.#state }
  }

  #check(line: string): VerifyFailure | undefined {
    const fail = (at: number, kind: VerifyFailure['kind'], message: string): VerifyFailure => ({ ok: false, line: at, kind, message })
    // An empty line is fine only as the very last one (the text after the final newline).
    if (this.#emptyAt) return fail(this.#emptyAt, 'changed', `line ${this.#emptyAt}: empty line inside the log`)
    const lineNo = ++this.#lineNo
    if (line === '') {
      this.#emptyAt = lineNo
      return undefined
    }
    const state = this.#state
    const expected = state.seq + 1
    const sealed = parseSealedLine(line)
    if (typeof sealed === 'string') return fail(lineNo, 'changed', `line ${lineNo} (record ${expected}): changed: ${sealed}`)
    if (sealed.prev !== state.hash) {
      if (sealed.seq > expected) {
        const which = sealed.seq - 1 === expected ? `record ${expected}` : `records ${expected}-${sealed.seq - 1}`
        return fail(lineNo, 'removed', `line ${lineNo}: ${which} removed before record ${sealed.seq}`)
      }
      if (sealed.seq < expected) {
        return fail(lineNo, 'reordered', `line ${lineNo}: record ${sealed.seq} out of order (expected record ${expected})`)
      }
      // Same position, broken link: the line before was rewritten with a recomputed hash.
      return fail(lineNo - 1, 'changed', `line ${lineNo - 1} (record ${state.seq}): changed: the next record does not link to it`)
    }
    if (sealed.seq !== expected) {
      return fail(lineNo, 'changed', `line ${lineNo} (record ${expected}): changed: seq ${sealed.seq} does not follow ${state.seq}`)
    }
    this.#state = { seq: sealed.seq, hash: sealed.hash }
    return undefined
  }
}

/** verifyChain checks all `lines` at once (see {@link ChainVerifier}). Throws nothing. */
export function verifyChain(lines: Iterable<string>): VerifyResult {
  const verifier = new ChainVerifier()
  for (const line of lines) if (verifier.push(line)) break
  return verifier.result()
}
