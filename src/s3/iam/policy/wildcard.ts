/**
 * Wildcard matching as MinIO's policy engine does it: `*` matches any run of characters
 * (including `/` and the empty run), `?` matches exactly one character.
 *
 * @module
 */

/** wildcardMatch reports whether `text` matches `pattern`. Never throws; runs in O(n·m) at worst. */
export function wildcardMatch(pattern: string, text: string): boolean {
  if (pattern === '') return text === ''
  if (pattern === '*') return true
  let p = 0
  let t = 0
  let starP = -1
  let starT = 0
  // Greedy scan with single backtrack point: linear for typical patterns, never exponential.
  while (t < text.length) {
    const pc = pattern[p]
    if (pc === '*') {
      starP = p++
      starT = t
    } else if (pc !== undefined && (pc === '?' || pc === text[t])) {
      p++
      t++
    } else if (starP >= 0) {
      p = starP + 1
      t = ++starT
    } else {
      return false
    }
  }
  while (pattern[p] === '*') p++
  return p === pattern.length
}
