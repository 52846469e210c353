/**
 * findPackage finds the checkout from a module at any depth: the sources (`src/cli/…`) and the
 * compiled tree (`dist/src/cli/…`) differ by one level, which once sent `npm start`'s compiled
 * quick start to look for `dist/bin/keyhold.js`.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { describe, expect, it } from 'vitest'
import { findPackage } from '../../src/lib/package-root.js'

describe('findPackage', () => {
  it('finds the keyhold package from the sources and from the compiled tree alike', () => {
    const root = mkdtempSync(join(tmpdir(), 'keyhold-pkg-'))
    writeFileSync(join(root, 'package.json'), JSON.stringify({ name: 'keyhold', version: '1.2.3' }))
    // A package.json of another package on the way up is passed over.
    mkdirSync(join(root, 'dist', 'src', 'cli'), { recursive: true })
    writeFileSync(join(root, 'dist', 'package.json'), JSON.stringify({ name: 'something-else', version: '9' }))
    mkdirSync(join(root, 'src', 'cli'), { recursive: true })
    for (const file of [join(root, 'src', 'cli', 'quickstart.ts'), join(root, 'dist', 'src', 'cli', 'quickstart.js')]) {
      expect(findPackage(pathToFileURL(file))).toEqual({ root, version: '1.2.3' })
    }
  })

  it('says undefined where no keyhold package.json is above', () => {
    const dir = mkdtempSync(join(tmpdir(), 'keyhold-nopkg-'))
    expect(findPackage(pathToFileURL(join(dir, 'a', 'b.js')))).toBeUndefined()
  })

  it('finds this checkout from its own sources', () => {
    expect(findPackage(new URL('../../src/cli/quickstart.ts', import.meta.url))?.root).toBe(join(import.meta.dirname, '..', '..'))
  })
})
