import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { FileKeyStore } from '../../backends/fs.js'
import { testPki, type TestPki } from '../helpers/pki.js'
import { cli } from './run.js'

let pki: TestPki
let n = 0
const signal = new AbortController().signal

beforeAll(async () => {
  pki = await testPki()
})

/** A server config on disk whose keystore is a fresh fs directory, seeded with `keys`. */
async function fsConfig(keys: Record<string, string> = {}): Promise<{ config: string; dir: string }> {
  const root = mkdtempSync(join(tmpdir(), `keyhold-migrate-${n++}-`))
  const dir = join(root, 'keys')
  const store = await FileKeyStore.open(dir)
  for (const [name, value] of Object.entries(keys)) await store.create(name, Buffer.from(value), signal)
  await store.close()
  const config = join(root, 'config.yml')
  writeFileSync(
    config,
    `admin:\n  identity: disabled\ntls:\n  key: ${pki.server.keyFile}\n  cert: ${pki.server.certFile}\nkeystore:\n  fs:\n    path: ${dir}\n`,
  )
  return { config, dir }
}

async function read(dir: string): Promise<Record<string, string>> {
  const store = await FileKeyStore.open(dir)
  const out: Record<string, string> = {}
  for (const name of readdirSync(dir).filter((f) => !f.startsWith('.')).sort()) out[name] = Buffer.from(await store.get(name, signal)).toString()
  await store.close()
  return out
}

describe('keyhold migrate', () => {
  it('copies the stored bytes of every matching key unchanged', async () => {
    const from = await fsConfig({ 'minio-a': 'blob-a', 'minio-b': 'blob-b', other: 'blob-o' })
    const to = await fsConfig()
    const r = await cli(['migrate', '--from', from.config, '--to', to.config, 'minio-*'])
    expect(r).toMatchObject({ code: 0, stdout: '{"migrated":2,"skipped":0}\n' })
    expect(await read(to.dir)).toEqual({ 'minio-a': 'blob-a', 'minio-b': 'blob-b' })
    const all = await cli(['migrate', '--from', from.config, '--to', to.config, '--merge'], {}, { tty: true })
    expect(all.code).toBe(0)
    expect(all.stdout).toContain('migrated  other\n')
    expect(all.stdout).toContain('skipped   minio-a\n')
    expect(all.stdout).toMatch(/Migrated 1 key\(s\) from .* to .*, skipped 2\.\n$/)
    expect(await read(to.dir)).toEqual({ 'minio-a': 'blob-a', 'minio-b': 'blob-b', other: 'blob-o' })
  })

  it('stops at an existing key unless told to merge or replace', async () => {
    const from = await fsConfig({ k1: 'new-1', k2: 'new-2' })
    const to = await fsConfig({ k1: 'old-1' })
    const stopped = await cli(['migrate', '--from', from.config, '--to', to.config])
    expect(stopped).toMatchObject({
      code: 1,
      stderr: 'Error: key "k1" already exists in the target keystore. Use --merge to skip existing keys or --force to replace them\n',
    })
    const forced = await cli(['migrate', '--from', from.config, '--to', to.config, '--force', 'k?'])
    expect(forced.stdout).toBe('{"migrated":2,"skipped":0}\n')
    expect(await read(to.dir)).toEqual({ k1: 'new-1', k2: 'new-2' })
  })

  it('refuses the same keystore, missing flags and bad configs', async () => {
    const a = await fsConfig({ k: 'v' })
    expect(await cli(['migrate', '--from', a.config, '--to', a.config])).toMatchObject({
      code: 1,
      stderr: 'Error: the source and the target are the same keystore\n',
    })
    expect(await cli(['migrate', '--from', a.config])).toMatchObject({ code: 2, stderr: "Error: both '--from' and '--to' are required. See 'keyhold migrate --help'\n" })
    expect((await cli(['migrate', '--from', a.config, '--to', a.config, '--merge', '--force'])).code).toBe(2)
    const missing = await cli(['migrate', '--from', join(tmpdir(), 'no-such-config.yml'), '--to', a.config])
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain(`config file '${join(tmpdir(), 'no-such-config.yml')}' not found`)
  })
})
