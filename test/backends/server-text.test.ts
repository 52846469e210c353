import { describe, expect, it } from 'vitest'
import { MAX_SERVER_TEXT, serverText } from '../../backends/server-text.js'

describe('serverText (keystore servers\' texts in errors and logs)', () => {
  it('keeps a short text and cuts a long one, saying how much was cut', () => {
    expect(serverText('permission denied')).toBe('permission denied')
    expect(serverText('x'.repeat(MAX_SERVER_TEXT))).toBe('x'.repeat(MAX_SERVER_TEXT))
    expect(serverText('y'.repeat(MAX_SERVER_TEXT + 5))).toBe(`${'y'.repeat(MAX_SERVER_TEXT)}… (5 more characters cut)`)
  })

  it('never cuts a character in half (a surrogate pair at the cut)', () => {
    const text = `${'a'.repeat(MAX_SERVER_TEXT - 1)}🔑${'b'.repeat(10)}`
    const cut = serverText(text)
    expect(cut).toBe(`${'a'.repeat(MAX_SERVER_TEXT - 1)}… (12 more characters cut)`)
    expect(cut).not.toMatch(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])/)
  })
})
