/**
 * Rotations and deletions of one key take turns across workers (src/kms/keystore/key-turns.ts),
 * on a real `keyhold server --workers 2`: a rotation replaces the key's name (a delete and a
 * create), and a deletion landing in between, in the other worker, was undone by that create.
 * The deleted key then lived on, and ciphertexts sealed under it opened again. Found by fuzzing;
 * 19 of 30 rounds brought a key back before the turns spanned the workers.
 */
import { readdirSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { testPki, type TestPki } from '../../helpers/pki.js'
import { send } from '../../helpers/server.js'
import { spawnServer, type SpawnedServer } from '../observability/spawn-server.js'

let pki: TestPki
let server: SpawnedServer
beforeAll(async () => {
  pki = await testPki()
  server = await spawnServer(pki, 'log:\n  error: warn\n', ['--workers', '2'])
}, 60_000)
afterAll(async () => {
  await server?.stop()
})

/** One request on a fresh connection: consecutive connections go to alternating workers. */
const call = (method: string, path: string, body?: object) => send(server.url, pki, pki.clients.admin, method, path, body)

describe('a deletion racing rotations in the other worker', () => {
  it('stays a deletion: the key never comes back and its ciphertexts never open again', async () => {
    const brought: string[] = []
    const otherAnswers: string[] = []
    for (let round = 0; round < 24; round++) {
      const name = `turns-${round}`
      expect((await call('POST', `/v1/key/create/${name}`)).status).toBe(200)
      const sealed = await call('POST', `/v1/key/encrypt/${name}`, { plaintext: Buffer.from('secret').toString('base64') })
      expect(sealed.status).toBe(200)
      // One to three rotations around the deletion, each on its own connection, so that both workers take part.
      const rotations = 1 + (round % 3)
      const at = round % (rotations + 1)
      const answers = await Promise.all(
        Array.from({ length: rotations + 1 }, (_, i) => (i === at ? call('DELETE', `/v1/key/delete/${name}`) : call('PUT', `/v1/key/rotate/${name}`))),
      )
      const deleted = answers[at]!
      // The key exists until the deletion: it must find it, even in the middle of a rotation.
      if (deleted.status !== 200) otherAnswers.push(`${name}: deletion ${deleted.status} ${deleted.text}`)
      // A rotation before the deletion succeeds, one after it finds no key; none overlaps another (no 409).
      for (const r of answers) if (r !== deleted && r.status !== 200 && r.status !== 404) otherAnswers.push(`${name}: ${r.status} ${r.text}`)
      // Both workers, twice each: the key is gone everywhere, and so is every stored entry of it.
      for (let i = 0; i < 4; i++) {
        if ((await call('GET', `/v1/key/describe/${name}`)).status !== 404) brought.push(`${name}: describe`)
        if ((await call('POST', `/v1/key/decrypt/${name}`, { ciphertext: (sealed.json as { ciphertext: string }).ciphertext })).status === 200) {
          brought.push(`${name}: decrypt`)
        }
      }
      const left = readdirSync(join(server.dir, 'keys')).filter((f) => f === name || f.startsWith(`${name}-`))
      if (left.length > 0) brought.push(`${name}: stored ${left.join(', ')}`)
    }
    expect(brought).toEqual([])
    expect(otherAnswers).toEqual([])
  }, 120_000)

  it('kept both workers: none crashed or was replaced', () => {
    expect(server.stderr()).not.toMatch(/exited|replacement|primary is gone/)
  })
})
