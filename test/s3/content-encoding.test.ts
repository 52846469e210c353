import { describe, expect, it } from 'vitest'
import { storedContentEncoding } from '../../src/s3/handlers/object-meta.js'

describe('stored Content-Encoding', () => {
  it.each([
    ['aws-chunked', undefined],
    ['aws-chunked,gzip', 'gzip'],
    ['gzip, aws-chunked', 'gzip'],
    ['AWS-CHUNKED', undefined],
    ['gzip', 'gzip'],
    ['deflate, gzip', 'deflate, gzip'],
    ['aws-chunked,deflate, gzip', 'deflate, gzip'],
    [undefined, undefined],
  ])('%s is stored as %s (aws-chunked is upload framing only)', (given, stored) => {
    expect(storedContentEncoding(given)).toBe(stored)
  })
})
