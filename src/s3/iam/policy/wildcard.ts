/**
 * Wildcard matching as MinIO's policy engine does it: `*` matches any run of characters (including `/` and the
 * empty run), `?` matches exactly one character.
 *
 * Both sides can be long and both can be chosen by a client: a bucket policy written by any user with
 * s3:PutBucketPolicy (20 KiB) is matched against object keys and request headers (User-Agent, Referer), so the
 * matcher must not take time proportional to their product. A pattern is cut at its `*`s into segments; the
 * first must match at the start, the last at the end, and each one between at its leftmost place after the one
 * before (the leftmost place leaves the most room to the rest, so it is never wrong). A segment without `?` is
 * found with String.indexOf (V8's Boyer-Moore search); one with `?` with a bit-parallel scan, one pass over the
 * text at a cost of one word operation per 32 pattern characters.
 *
 * @module
 */

/** A piece of a pattern: `glob` text where `*` and `?` are wildcards, or `literal` text matched as it is. */
export type PatternPiece = { readonly glob: string } | { readonly literal: string }

/** One run of a pattern between `*`s: its characters, and where it holds a `?` (any one character). */
interface Segment {
  readonly chars: string
  /** 1 at each position of a `?`, or undefined when there is none (then indexOf finds the segment). */
  readonly any: Uint8Array | undefined
}

/** A compiled pattern: the segments between its `*`s (one more than there are `*`s). */
type Compiled = readonly Segment[]

/** compilePieces cuts pieces into segments; a literal piece's `*` and `?` are plain characters. */
function compilePieces(pieces: readonly PatternPiece[]): Compiled {
  const segments: Segment[] = []
  let chars = ''
  let any: number[] = []
  const close = (): void => {
    let flags: Uint8Array | undefined
    if (any.length > 0) {
      flags = new Uint8Array(chars.length)
      for (const i of any) flags[i] = 1
    }
    segments.push({ chars, any: flags })
    chars = ''
    any = []
  }
  for (const piece of pieces) {
    if ('literal' in piece) {
      chars += piece.literal
      continue
    }
    for (const c of piece.glob) {
      if (c === '*') close()
      else {
        if (c === '?') any.push(chars.length)
        // A surrogate pair is two code units: `?` matches one, as it always has here.
        chars += c
      }
    }
  }
  close()
  return segments
}

// Compiled policy patterns, reused across requests: policies are few and their patterns repeat on every request.
const cache = new Map<string, Compiled>()
let cachedChars = 0
// Bounded by the characters held (a bucket policy's patterns may reach 20 KiB), not only by their number.
const CACHE_MAX_ENTRIES = 10_000
const CACHE_MAX_CHARS = 4 << 20

function compiled(pattern: string): Compiled {
  let c = cache.get(pattern)
  if (c === undefined) {
    c = compilePieces([{ glob: pattern }])
    // A flood of distinct patterns (policies rewritten over and over) only costs recompiling, never memory.
    if (cache.size >= CACHE_MAX_ENTRIES || cachedChars + pattern.length > CACHE_MAX_CHARS) {
      cache.clear()
      cachedChars = 0
    }
    cache.set(pattern, c)
    cachedChars += pattern.length
  }
  return c
}

/** wildcardMatch reports whether `text` matches `pattern`. Never throws. */
export function wildcardMatch(pattern: string, text: string): boolean {
  if (pattern === '*') return true
  return matchCompiled(compiled(pattern), text)
}

/**
 * piecesMatch reports whether `text` matches the pattern the pieces spell; the `*` and `?` of literal pieces (a
 * policy variable's value, which the request chose) are plain characters. Never throws.
 */
export function piecesMatch(pieces: readonly PatternPiece[], text: string): boolean {
  const only = pieces.length === 1 ? pieces[0]! : undefined
  if (only !== undefined && 'glob' in only) return wildcardMatch(only.glob, text)
  return matchCompiled(compilePieces(pieces), text)
}

function matchCompiled(segments: Compiled, text: string): boolean {
  const first = segments[0]!
  if (segments.length === 1) return first.chars.length === text.length && matchesAt(first, text, 0)
  const last = segments[segments.length - 1]!
  const end = text.length - last.chars.length
  if (first.chars.length > end || !matchesAt(first, text, 0) || !matchesAt(last, text, end)) return false
  let pos = first.chars.length
  for (let i = 1; i < segments.length - 1; i++) {
    const segment = segments[i]!
    if (segment.chars.length === 0) continue
    const at = findFrom(segment, text, pos, end)
    if (at < 0) return false
    pos = at + segment.chars.length
  }
  return true
}

/** matchesAt tells whether `segment` matches `text` at `at` exactly; the caller ensures it fits. */
function matchesAt(segment: Segment, text: string, at: number): boolean {
  if (segment.any === undefined) return text.startsWith(segment.chars, at)
  for (let i = 0; i < segment.chars.length; i++) {
    if (segment.any[i] === 0 && text.charCodeAt(at + i) !== segment.chars.charCodeAt(i)) return false
  }
  return true
}

/** findFrom is the leftmost start ≥ `from` where `segment` matches and ends by `end`, or -1. */
function findFrom(segment: Segment, text: string, from: number, end: number): number {
  const m = segment.chars.length
  if (from + m > end) return -1
  if (segment.any === undefined) {
    const at = text.indexOf(segment.chars, from)
    return at >= 0 && at + m <= end ? at : -1
  }
  return shiftAnd(segment, text, from, end)
}

/**
 * shiftAnd finds `segment` (with `?`s) in text[from, end) by the Shift-And method: bit i of the state says
 * whether the segment's first i+1 characters match the text ending here. One pass, ⌈m/32⌉ words per character.
 */
function shiftAnd(segment: Segment, text: string, from: number, end: number): number {
  const m = segment.chars.length
  const words = (m + 31) >>> 5
  const any = segment.any!
  const anyMask = new Uint32Array(words)
  for (let i = 0; i < m; i++) if (any[i] === 1) anyMask[i >>> 5]! |= 1 << (i & 31)
  const masks = new Map<number, Uint32Array>()
  for (let i = 0; i < m; i++) {
    if (any[i] === 1) continue
    const code = segment.chars.charCodeAt(i)
    let mask = masks.get(code)
    if (mask === undefined) masks.set(code, (mask = anyMask.slice()))
    mask[i >>> 5]! |= 1 << (i & 31)
  }
  const state = new Uint32Array(words)
  const top = (m - 1) >>> 5
  const topBit = 1 << ((m - 1) & 31)
  for (let j = from; j < end; j++) {
    const mask = masks.get(text.charCodeAt(j)) ?? anyMask
    // state = ((state << 1) | 1) & mask, carried across words.
    let carry = 1
    for (let w = 0; w < words; w++) {
      const v = state[w]!
      state[w] = ((v << 1) | carry) & mask[w]!
      carry = v >>> 31
    }
    if ((state[top]! & topBit) !== 0) return j - m + 1
  }
  return -1
}
