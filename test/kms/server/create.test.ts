/**
 * createKmsServer: the pipeline without a listener. Its handler answers like the listening
 * server when an HTTPS server of the caller's own runs it (what the benchmarks do instead of
 * patching node:https), listen() serves once, and close() releases the keystore once.
 */
import { createServer, type Server } from 'node:https'
import type { AddressInfo } from 'node:net'
import { afterAll, expect, it } from 'vitest'
import { MemoryKeyStore } from '../../../backends/memory.js'
import type { ServerConfig } from '../../../src/kms/config/types.js'
import { silentLogger } from '../../../src/kms/observability/logger.js'
import { createKmsServer } from '../../../src/kms/server.js'
import { testPki } from '../../helpers/pki.js'
import { send } from '../../helpers/server.js'

const pki = await testPki()
const store = new MemoryKeyStore()
let closes = 0
const close = store.close.bind(store)
store.close = async () => {
  closes++
  await close()
}
const config: ServerConfig = {
  address: '127.0.0.1:0',
  admin: pki.clients.admin.identity,
  tls: { certPem: pki.server.certPem, keyPem: pki.server.keyPem, verifyClients: false },
  api: {},
  policies: { app: { allow: ['/v1/key/generate/k*'], identities: [pki.clients.app.identity] } },
  cache: { anyMs: 60_000, unusedMs: 30_000, offlineMs: 0 },
  log: { error: 'silent', audit: 'silent' },
  keys: ['k1'],
  keystore: { kind: 'instance', store },
}
const app = await createKmsServer(config, { log: silentLogger(), probeMs: 0 })
const own: Server = createServer({ key: pki.server.keyPem, cert: pki.server.certPem, requestCert: true, rejectUnauthorized: false }, app.handler)
await new Promise<void>((resolve) => own.listen(0, '127.0.0.1', resolve))
const ownUrl = `https://127.0.0.1:${(own.address() as AddressInfo).port}`

afterAll(async () => {
  own.closeAllConnections()
  await new Promise((resolve) => own.close(resolve))
  await app.close()
})

it('hands out a handler that serves the whole pipeline (identity, policy, errors) on a server of the caller', async () => {
  const generated = await send(ownUrl, pki, pki.clients.app, 'PUT', '/v1/key/generate/k1', {})
  expect(generated.status).toBe(200)
  expect(Object.keys(generated.json as object).sort()).toEqual(['ciphertext', 'plaintext'])
  expect(await send(ownUrl, pki, pki.clients.app, 'PUT', '/v1/key/create/k2')).toMatchObject({ status: 403, text: '{"message":"not authorized: insufficient permissions"}' })
  expect(await send(ownUrl, pki, null, 'PUT', '/v1/key/generate/k1', {})).toMatchObject({ status: 400 })
  expect(await send(ownUrl, pki, pki.clients.app, 'GET', '/nope')).toMatchObject({ status: 404, text: '404 page not found\n' })
})

it('listens once; its server answers as the handler does and closing it closes the keystore once', async () => {
  const server = await app.listen()
  await expect(app.listen()).rejects.toThrow(/called already/)
  const viaListener = await send(server.url, pki, pki.clients.app, 'PUT', '/v1/key/create/k2')
  const viaHandler = await send(ownUrl, pki, pki.clients.app, 'PUT', '/v1/key/create/k2')
  expect({ status: viaListener.status, text: viaListener.text }).toEqual({ status: viaHandler.status, text: viaHandler.text })
  await server.close()
  await app.close()
  expect(closes).toBe(1)
})
