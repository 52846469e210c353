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
  const glob = globToRegExp(pattern)
  if (prefix !== undefined) return (path) => path.startsWith(prefix) || glob.test(path)
  return (path) => glob.test(path)
}

const escapeRegExp = (c: string): string => c.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&')

/** globToRegExp translates Go's path.Match syntax into an anchored RegExp. */
function globToRegExp(pattern: string): RegExp {
  let out = '^'
  let i = 0
  const bad = () => new InvalidPatternError(pattern)
  const literal = (): string => {
    // One (possibly escaped) character inside or outside a class.
    let c = pattern[i]
    if (c === undefined) throw bad()
    if (c === '\\') {
      i++
      c = pattern[i]
      if (c === undefined) throw bad()
    }
    i++
    return c
  }
  while (i < pattern.length) {
    const c = pattern[i]
    if (c === '*') {
      out += '[^/]*'
      i++
    } else if (c === '?') {
      out += '[^/]'
      i++
    } else if (c === '[') {
      i++
      let cls = '['
      if (pattern[i] === '^') {
        cls += '^'
        i++
      }
      let ranges = 0
      for (;;) {
        if (i >= pattern.length) throw bad()
        if (pattern[i] === ']' && ranges > 0) {
          i++
          break
        }
        if (pattern[i] === '-' || pattern[i] === ']') throw bad()
        const lo = literal()
        let hi = lo
        if (pattern[i] === '-') {
          i++
          if (pattern[i] === ']' || pattern[i] === '-') throw bad()
          hi = literal()
          if (hi < lo) throw bad()
        }
        cls += lo === hi ? escapeRegExp(lo) : `${escapeRegExp(lo)}-${escapeRegExp(hi)}`
        ranges++
      }
      out += cls + ']'
    } else {
      out += escapeRegExp(literal())
    }
  }
  return new RegExp(out + '$')
}
