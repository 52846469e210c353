import { createServer as createTcpServer, type AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { KesClient, KesConnectionError, KesError } from '../../src/kes-client/index.js'
import { MAX_SOCKETS_PER_SERVER } from '../../src/kes-client/kes-client.js'
import { testPki, type TestPki } from '../helpers/pki.js'
import { reply, startStandIn, type StandIn } from './standin.js'

let pki: TestPki
let live: StandIn
let stoppedAddress: string

beforeAll(async () => {
  pki = await testPki()
  live = await startStandIn((_req, res) => reply(res, 200, { version: 'live', commit: '' }))
  // A real server, stopped: its port now refuses connections.
  const stopped = await startStandIn()
  stoppedAddress = stopped.address
  await stopped.close()
})
afterAll(() => live.close())

const clientFor = (endpoints: string[], timeoutMs?: number) =>
  KesClient.create({ endpoints, certPem: pki.clients.app.certPem, keyPem: pki.clients.app.keyPem, ca: pki.ca.certPem, timeoutMs })

describe('KesClient failover', () => {
  it('skips a stopped server and keeps working through the other', async () => {
    const client = await clientFor([stoppedAddress, live.address])
    for (let i = 0; i < 3; i++) expect((await client.version()).version).toBe('live')
    client.close()
  })

  it('rests a server answering 5xx for 30 s and answers from the next', async () => {
    const failing = await startStandIn((_req, res) => reply(res, 503, { message: 'key store is unavailable' }))
    const client = await clientFor([failing.address, live.address])
    expect((await client.version()).version).toBe('live')
    expect((await client.version()).version).toBe('live')
    // Tried first (both are loopback, the first is preferred), then rested: one request only.
    expect(failing.received).toHaveLength(1)
    client.close()
    await failing.close()
  })

  it('returns the last 5xx answer when every server fails', async () => {
    const failing = await startStandIn((_req, res) => reply(res, 502, { message: 'failed to read key' }))
    const client = await clientFor([failing.address, stoppedAddress])
    const err = await client.describeKey('k').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KesError)
    expect(err).toMatchObject({ status: 502, message: 'failed to read key' })
    client.close()
    await failing.close()
  })

  it('does not fail over on 501 or 4xx: those are answers', async () => {
    for (const [status, message] of [[501, 'not implemented'], [404, 'key does not exist']] as const) {
      const first = await startStandIn((_req, res) => reply(res, status, { message }))
      const client = await clientFor([first.address, live.address])
      await expect(client.describeKey('k')).rejects.toMatchObject({ status, message })
      expect(live.received.filter((r) => r.path === '/v1/key/describe/k')).toHaveLength(0)
      client.close()
      await first.close()
    }
  })

  it(`opens at most ${MAX_SOCKETS_PER_SERVER} connections to a server that stalls, however many calls wait`, async () => {
    const stalled = await startStandIn(() => undefined) // takes every request, answers none
    const client = await clientFor([stalled.address], 1_500)
    const calls = await Promise.allSettled(Array.from({ length: 300 }, () => client.describeKey('k')))
    expect(calls.every((c) => c.status === 'rejected')).toBe(true)
    expect(stalled.connections).toBeGreaterThan(0)
    expect(stalled.connections).toBeLessThanOrEqual(MAX_SOCKETS_PER_SERVER)
    client.close()
    await stalled.close()
  })

  it('fails with a connection error naming the endpoints when none answers', async () => {
    const client = await clientFor([stoppedAddress])
    const err = await client.version().catch((e: unknown) => e)
    expect(err).toBeInstanceOf(KesConnectionError)
    expect((err as Error).message).toContain(`cannot reach https://${stoppedAddress}`)
    client.close()
  })

  it('times out a server that accepts but never answers, and moves on', async () => {
    const silent = createTcpServer(() => {}) // accepts TCP, never completes TLS
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    const silentAddress = `127.0.0.1:${(silent.address() as AddressInfo).port}`
    const client = await clientFor([silentAddress, live.address], 300)
    const started = Date.now()
    expect((await client.version()).version).toBe('live')
    expect(Date.now() - started).toBeGreaterThanOrEqual(250)
    client.close()
    const alone = await clientFor([silentAddress], 200)
    await expect(alone.version()).rejects.toThrow('no answer within 200 ms')
    alone.close()
    silent.close()
  })

  it('retries on a fresh socket when a kept-alive one was closed by the server, without resting the endpoint', async () => {
    const served = new WeakMap<object, number>()
    const flaky = await startStandIn((_req, res) => {
      const socket = res.socket!
      const n = (served.get(socket) ?? 0) + 1
      served.set(socket, n)
      // The second request on a connection finds it closed, as after a server's idle time-out.
      if (n === 2) socket.destroy()
      else reply(res, 200, { version: 'flaky', commit: '' })
    })
    const client = await clientFor([flaky.address, live.address])
    for (let i = 0; i < 4; i++) expect((await client.version()).version).toBe('flaky')
    expect(flaky.connections).toBeGreaterThanOrEqual(2)
    client.close()
    await flaky.close()
  })

  it('stops at once when the caller aborts', async () => {
    live.handler = (_req, res) => setTimeout(() => reply(res, 200, { version: 'late', commit: '' }), 2_000)
    const client = await clientFor([live.address])
    const abort = new AbortController()
    const started = Date.now()
    const pending = client.auditLog(abort.signal)
    setTimeout(() => abort.abort(), 100)
    const events: unknown[] = []
    for await (const e of pending) events.push(e)
    expect(events).toEqual([])
    expect(Date.now() - started).toBeLessThan(1_500)
    client.close()
  })
})
