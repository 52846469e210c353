/**
 * The policy wildcard matcher (src/s3/iam/policy/wildcard.ts) and policy variables, with what an attacker tries
 * first: a pattern and a text that make a naive matcher take time proportional to their product (both can be
 * chosen by a client: a bucket policy any s3:PutBucketPolicy holder writes, object keys and request headers
 * substituted through `${aws:Referer}` / `${aws:UserAgent}`), and a variable's value that holds `*` or `?`.
 */
import { describe, expect, it } from 'vitest'
import { isAllowed, parsePolicy, type PolicyArgs } from '../../../src/s3/iam/policy/index.js'
import { piecesMatch, wildcardMatch } from '../../../src/s3/iam/policy/wildcard.js'

/** reference is the textbook dynamic-programming matcher: slow, obviously right. */
function reference(pattern: string, text: string): boolean {
  let row = Array.from({ length: text.length + 1 }, (_, j) => j === 0)
  for (const p of pattern) {
    const next = Array.from({ length: text.length + 1 }, () => false)
    next[0] = p === '*' && row[0]!
    for (let j = 1; j <= text.length; j++) {
      next[j] = p === '*' ? row[j]! || next[j - 1]! : row[j - 1]! && (p === '?' || p === text[j - 1])
    }
    row = next
  }
  return row[text.length]!
}

const doc = (...statements: object[]): string => JSON.stringify({ Version: '2012-10-17', Statement: statements })
const args = (action: string, bucket: string, object: string | undefined, conditions: Record<string, string[]>): PolicyArgs =>
  ({ action, bucket, ...(object !== undefined ? { object } : {}), conditions })

describe('wildcardMatch', () => {
  it('agrees with the reference matcher on 20,000 random patterns and texts', () => {
    let seed = 42
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff
      return seed % n
    }
    const pick = (alphabet: string, max: number): string => Array.from({ length: rand(max + 1) }, () => alphabet[rand(alphabet.length)]).join('')
    for (let i = 0; i < 20_000; i++) {
      const pattern = pick('ab*?', 8)
      const text = pick('ab', 10)
      expect([pattern, text, wildcardMatch(pattern, text)]).toEqual([pattern, text, reference(pattern, text)])
    }
    // Segments longer than one 32-bit word of the bit-parallel scan.
    for (let i = 0; i < 300; i++) {
      const pattern = `*${pick('ab?', 70)}*${pick('ab?', 40)}`
      const text = pick('ab', 200)
      expect([pattern, text, wildcardMatch(pattern, text)]).toEqual([pattern, text, reference(pattern, text)])
    }
  })

  it('keeps the edge cases: empty pattern and text, a lone star, anchors at both ends', () => {
    expect(wildcardMatch('', '')).toBe(true)
    expect(wildcardMatch('', 'a')).toBe(false)
    expect(wildcardMatch('*', '')).toBe(true)
    expect(wildcardMatch('a*a', 'a')).toBe(false)
    expect(wildcardMatch('a*a', 'aa')).toBe(true)
    expect(wildcardMatch('photos/20??/*.jpg', 'photos/2024/x/y.jpg')).toBe(true)
    expect(wildcardMatch('photos/20??/*.jpg', 'photos/24/y.jpg')).toBe(false)
  })

  it('takes time in the sum of the lengths, not their product: 150 hostile patterns in well under a second', () => {
    // The attack: `*a…ab` against `a…a` took ~110 ms per value with a backtracking scan, 22 s for 199 values.
    const text = 'a'.repeat(8500)
    const literal = `*${'a'.repeat(4000)}b`
    const anyChars = `*${'?a'.repeat(2000)}b`
    const manyStars = `${'*a'.repeat(2000)}*b`
    const started = performance.now()
    for (let i = 0; i < 50; i++) {
      expect(wildcardMatch(`${literal}${i}`, text)).toBe(false)
      expect(wildcardMatch(`${anyChars}${i}`, text)).toBe(false)
      expect(wildcardMatch(`${manyStars}${i}`, text)).toBe(false)
    }
    expect(performance.now() - started).toBeLessThan(1_000)
  })
})

describe('policy variables are literal text in patterns', () => {
  const home = parsePolicy(doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::home/${aws:username}/*' }))

  it('a user named "a*" reads its own home, not every home starting with "a"', () => {
    expect(isAllowed(home, args('s3:GetObject', 'home', 'a*/notes', { 'aws:username': ['a*'] }))).toBe(true)
    expect(isAllowed(home, args('s3:GetObject', 'home', 'alice/notes', { 'aws:username': ['a*'] }))).toBe(false)
    expect(isAllowed(home, args('s3:GetObject', 'home', 'ab/notes', { 'aws:username': ['a?'] }))).toBe(false)
  })

  it('a request header substituted into StringLike does not become the pattern it is matched against', () => {
    // Deny unless the Referer is the User-Agent: with the header as a pattern, a User-Agent `*` matched anything.
    const policy = parsePolicy(doc(
      { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::site/*', Condition: { StringLike: { 'aws:Referer': 'https://${aws:UserAgent}/*' } } },
    ))
    const get = (ua: string, referer: string): boolean =>
      isAllowed(policy, args('s3:GetObject', 'site', 'page.html', { 'aws:UserAgent': [ua], 'aws:Referer': [referer] }))
    expect(get('example.com', 'https://example.com/a')).toBe(true)
    expect(get('*', 'https://evil.test/a')).toBe(false)
    expect(get('*', 'https://*/a')).toBe(true)
  })

  it("AWS's ${*}, ${?} and ${$} stand for the characters themselves", () => {
    expect(piecesMatch([{ glob: 'a' }, { literal: '*' }, { glob: '*' }], 'a*b')).toBe(true)
    const policy = parsePolicy(doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/${*}${?}${$}*' }))
    expect(isAllowed(policy, args('s3:GetObject', 'b', '*?$x', {}))).toBe(true)
    expect(isAllowed(policy, args('s3:GetObject', 'b', 'ab$x', {}))).toBe(false)
  })

  it('a bucket policy of hostile StringLike values costs the request little (the attack took 53 s for 200 values)', () => {
    const values = Array.from({ length: 200 }, (_, i) => `\${aws:Referer}${i}`)
    const policy = parsePolicy(doc(
      { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' },
      { Effect: 'Deny', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*', Condition: { StringLike: { 'aws:UserAgent': values } } },
    ))
    const started = performance.now()
    const allowed = isAllowed(policy, args('s3:GetObject', 'b', 'x', { 'aws:Referer': [`*${'a'.repeat(4000)}b`], 'aws:UserAgent': ['a'.repeat(8500)] }))
    expect(performance.now() - started).toBeLessThan(1_000)
    expect(allowed).toBe(true)
  })
})
