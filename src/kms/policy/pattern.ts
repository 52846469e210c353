/**
 * Policy path patterns, compiled once at load. A pattern matches a request path when either rule
 * matches (the safe superset of KES HEAD and v0.22-era, docs/kes-compatibility.md, "Policy matching"):
 * - HEAD: exact equality, or a trailing `*` meaning "starts with" (so `/v1/key/*` crosses `/`);
 * - v0.22-era: Go `path.Match` globs (`*` and `?` stop at `/`, `[...]` classes, `\` escapes).
 *
 * @module
 */

/** A compiled pattern: reports whether a request path matches. */
export type PathMatcher = (path: string) => boolean

/** InvalidPatternError: a pattern that is not a well-formed glob (Go `path.ErrBadPattern`). */
export class InvalidPatternError extends Error {
  constructor(pattern: string) {
    super(`invalid pattern '${pattern}'`)
    this.name = 'InvalidPatternError'
  }
}

/**
 * compilePattern compiles one policy pattern. An empty pattern never matches.
 * Throws InvalidPatternError for a malformed glob (`[a`, `[]`, a trailing `\`).
 */
export function compilePattern(pattern: string): PathMatcher {
  if (pattern === '') return () => false
  const prefix = pattern.endsWith('*') ? pattern.slice(0, -1) : undefined
  if (!/[*?[\\]/.test(pattern)) return (path) => path === pattern
  const glob = parseGlob(pattern)
  if (prefix !== undefined) return (path) => path.startsWith(prefix) || matchGlob(glob, path)
  return (path) => matchGlob(glob, path)
}

/** One element of a glob: a character, `?`, a class, or `*`. */
type Token =
  | { kind: 'char'; c: number }
  | { kind: 'any' }
  | { kind: 'class'; negated: boolean; ranges: Array<[number, number]> }
  | { kind: 'star' }

/** parseGlob reads Go's path.Match syntax. Throws InvalidPatternError for a malformed glob. */
function parseGlob(pattern: string): Token[] {
  const chars = [...pattern]
  const tokens: Token[] = []
  let i = 0
  const bad = () => new InvalidPatternError(pattern)
  const literal = (): number => {
    // One (possibly escaped) character inside or outside a class.
    if (chars[i] === '\\') i++
    const c = chars[i]
    if (c === undefined) throw bad()
    i++
    return c.codePointAt(0)!
  }
  while (i < chars.length) {
    const c = chars[i]
    if (c === '*') {
      i++
      if (tokens.at(-1)?.kind !== 'star') tokens.push({ kind: 'star' })
    } else if (c === '?') {
      i++
      tokens.push({ kind: 'any' })
    } else if (c === '[') {
      i++
      const negated = chars[i] === '^'
      if (negated) i++
      const ranges: Array<[number, number]> = []
      for (;;) {
        if (i >= chars.length) throw bad()
        if (chars[i] === ']' && ranges.length > 0) {
          i++
          break
        }
        if (chars[i] === '-' || chars[i] === ']') throw bad()
        const lo = literal()
        let hi = lo
        if (chars[i] === '-') {
          i++
          if (chars[i] === ']' || chars[i] === '-') throw bad()
          hi = literal()
          if (hi < lo) throw bad()
        }
        ranges.push([lo, hi])
      }
      tokens.push({ kind: 'class', negated, ranges })
    } else {
      tokens.push({ kind: 'char', c: literal() })
    }
  }
  return tokens
}

const SLASH = 0x2f

/** Whether token `t` (not a star) consumes character `c`. */
function consumes(t: Token, c: number): boolean {
  switch (t.kind) {
    case 'char': return t.c === c
    case 'any': return c !== SLASH
    case 'class': return t.ranges.some(([lo, hi]) => c >= lo && c <= hi) !== t.negated
    default: return false
  }
}

/**
 * matchGlob reports whether `path` matches the glob, walking all its positions at once (a set of states, as an
 * NFA): time grows with path length × pattern length, whatever the pattern. A backtracking matcher (a regular
 * expression with one `[^/]*` per `*`) took seconds per request for a pattern with a few `*` in one segment and
 * a long path, blocking the worker for every other client. Throws nothing.
 */
function matchGlob(tokens: Token[], path: string): boolean {
  let states = new Uint8Array(tokens.length + 1)
  let next = new Uint8Array(tokens.length + 1)
  const close = (set: Uint8Array): void => {
    // A star may match nothing: whoever reaches it has also reached what follows it.
    for (let j = 0; j < tokens.length; j++) if (set[j] === 1 && tokens[j]!.kind === 'star') set[j + 1] = 1
  }
  states[0] = 1
  close(states)
  for (const ch of path) {
    const c = ch.codePointAt(0)!
    next.fill(0)
    let alive = false
    for (let j = 0; j < tokens.length; j++) {
      if (states[j] !== 1) continue
      const t = tokens[j]!
      if (t.kind === 'star') {
        // A star goes on matching any character but `/`.
        if (c !== SLASH) {
          next[j] = 1
          alive = true
        }
      } else if (consumes(t, c)) {
        next[j + 1] = 1
        alive = true
      }
    }
    if (!alive) return false
    close(next)
    ;[states, next] = [next, states]
  }
  return states[tokens.length] === 1
}
