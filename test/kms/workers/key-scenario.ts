/**
 * The "one key view" scenario against a running server: every request on a fresh TLS
 * connection, so with `--workers 2` the kernel's round-robin spreads them over both workers and
 * each worker caches the key before it is deleted or re-created.
 */
import { randomBytes } from 'node:crypto'
import { Agent, request } from 'node:https'
import { expect } from 'vitest'
import { decrypt } from '../../../src/kms/crypto/ciphertext.js'
import { importKeyVersion } from '../../../src/kms/crypto/key.js'
import type { TestPki } from '../../helpers/pki.js'
import { send, type TestResponse } from '../../helpers/server.js'

/** How many fresh connections each check uses: enough to reach every worker many times. */
export const ATTEMPTS = 20

/** A server under test: where it listens and the PKI its admin certificate comes from. */
export interface Target {
  url: string
  pki: TestPki
}

const call = (t: Target, method: string, path: string, body?: object): Promise<TestResponse> =>
  send(t.url, t.pki, t.pki.clients.admin, method, path, body)

/** times makes `n` requests one after another, each on its own connection, and returns their statuses. */
async function times(n: number, request: () => Promise<TestResponse>): Promise<number[]> {
  const statuses: number[] = []
  for (let i = 0; i < n; i++) statuses.push((await request()).status)
  return statuses
}

/**
 * onOneConnection sends `requests` in order over one keep-alive connection, so one worker
 * answers them all (the others learn of the changes only through the fan-out). Returns the statuses.
 */
async function onOneConnection(t: Target, requests: { method: string; path: string; body?: object }[]): Promise<number[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  const u = new URL(t.url)
  const { admin } = t.pki.clients
  const statuses: number[] = []
  try {
    for (const [i, r] of requests.entries()) {
      const payload = r.body === undefined ? '' : JSON.stringify(r.body)
      statuses.push(
        await new Promise<number>((resolve, reject) => {
          const req = request(
            { host: u.hostname, port: u.port, path: r.path, method: r.method, servername: 'localhost', ca: t.pki.ca.certPem, cert: admin.certPem, key: admin.keyPem, agent },
            (res) => {
              res.resume()
              res.on('end', () => resolve(res.statusCode ?? 0))
            },
          )
          req.on('socket', () => {
            if (i > 0 && !req.reusedSocket) reject(new Error('the keep-alive connection was not reused'))
          })
          req.on('error', reject)
          req.end(payload)
        }),
      )
    }
  } finally {
    agent.destroy()
  }
  return statuses
}

/** generate asks for a data key; returns plaintext and ciphertext. Fails the test unless 200. */
async function generate(t: Target, name: string): Promise<{ plaintext: Buffer; ciphertext: Buffer }> {
  const res = await call(t, 'POST', `/v1/key/generate/${name}`, {})
  expect(res.status, res.text).toBe(200)
  const body = res.json as { plaintext: string; ciphertext: string }
  return { plaintext: Buffer.from(body.plaintext, 'base64'), ciphertext: Buffer.from(body.ciphertext, 'base64') }
}

const decryptCall = (t: Target, name: string, ciphertext: Buffer) =>
  call(t, 'POST', `/v1/key/decrypt/${name}`, { ciphertext: ciphertext.toString('base64') })

/** opens locally with raw key material: whether `ciphertext` was sealed under it. */
function opens(material: Buffer, ciphertext: Buffer): boolean {
  try {
    decrypt(importKeyVersion(material, 'AES256', 'test'), ciphertext)
    return true
  } catch {
    return false
  }
}

/** warm makes every worker cache `name`: data keys and describes over fresh connections. */
async function warm(t: Target, name: string): Promise<Buffer[]> {
  const ciphertexts: Buffer[] = []
  for (let i = 0; i < 6; i++) ciphertexts.push((await generate(t, name)).ciphertext)
  expect(await times(6, () => call(t, 'GET', `/v1/key/describe/${name}`))).toEqual(Array(6).fill(200))
  return ciphertexts
}

/**
 * deleteScenario: create `name`, warm every worker, delete it; then generate, decrypt and
 * describe answer 404 on every fresh connection; re-created, the old ciphertexts no longer
 * decrypt anywhere and new data keys round-trip.
 */
export async function deleteScenario(t: Target, name: string): Promise<void> {
  expect((await call(t, 'POST', `/v1/key/create/${name}`)).status).toBe(200)
  const old = await warm(t, name)
  expect((await call(t, 'DELETE', `/v1/key/delete/${name}`)).status).toBe(200)

  expect(await times(ATTEMPTS, () => call(t, 'POST', `/v1/key/generate/${name}`, {}))).toEqual(Array(ATTEMPTS).fill(404))
  expect(await times(ATTEMPTS, () => decryptCall(t, name, old[0]!))).toEqual(Array(ATTEMPTS).fill(404))
  expect(await times(ATTEMPTS, () => call(t, 'GET', `/v1/key/describe/${name}`))).toEqual(Array(ATTEMPTS).fill(404))

  expect((await call(t, 'POST', `/v1/key/create/${name}`)).status).toBe(200)
  expect(await times(ATTEMPTS, () => decryptCall(t, name, old[0]!))).toEqual(Array(ATTEMPTS).fill(400))
  for (let i = 0; i < ATTEMPTS / 2; i++) {
    const dk = await generate(t, name)
    const res = await decryptCall(t, name, dk.ciphertext)
    expect(res.status, res.text).toBe(200)
    expect(Buffer.from((res.json as { plaintext: string }).plaintext, 'base64')).toEqual(dk.plaintext)
  }
}

/**
 * recreateScenario: import `name` with known material A, warm every worker, delete it and import
 * it again with material B: every data key generated afterwards opens with B and none with A.
 */
export async function recreateScenario(t: Target, name: string): Promise<void> {
  const a = randomBytes(32)
  const b = randomBytes(32)
  const imported = (m: Buffer) => call(t, 'POST', `/v1/key/import/${name}`, { key: m.toString('base64'), cipher: 'AES256' })
  expect((await imported(a)).status).toBe(200)
  for (const ciphertext of await warm(t, name)) expect(opens(a, ciphertext)).toBe(true)
  // Delete and re-import through the same worker: the other one learns of neither by itself.
  const importB = { method: 'POST', path: `/v1/key/import/${name}`, body: { key: b.toString('base64'), cipher: 'AES256' } }
  expect(await onOneConnection(t, [{ method: 'DELETE', path: `/v1/key/delete/${name}` }, importB])).toEqual([200, 200])

  const sealed: boolean[][] = []
  for (let i = 0; i < ATTEMPTS; i++) {
    const { ciphertext } = await generate(t, name)
    sealed.push([opens(b, ciphertext), opens(a, ciphertext)])
  }
  expect(sealed).toEqual(Array(ATTEMPTS).fill([true, false]))
  const described = await times(ATTEMPTS, () => call(t, 'GET', `/v1/key/describe/${name}`))
  expect(described).toEqual(Array(ATTEMPTS).fill(200))
}
