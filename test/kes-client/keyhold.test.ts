/**
 * KesClient against two real Keyhold servers sharing one keystore (stateless KMS nodes, as KES is
 * deployed): requests keep working while one node is down.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import { MemoryKeyStore } from '../../backends/memory.js'
import { KesClient, KesError } from '../../src/kes-client/index.js'
import { startTestServer, type TestServer } from '../helpers/server.js'

let a: TestServer
let b: TestServer

beforeAll(async () => {
  const store = new MemoryKeyStore()
  a = await startTestServer({ keystore: { kind: 'instance', store } })
  b = await startTestServer({ keystore: { kind: 'instance', store } })
})

describe('KesClient with two Keyhold nodes', () => {
  it('creates, generates and decrypts through either node, and survives one stopping', async () => {
    const { admin } = a.pki.clients
    const client = await KesClient.create({ endpoints: [a.url, b.url], certPem: admin.certPem, keyPem: admin.keyPem, ca: a.pki.ca.certPem })
    await client.createKey('shared')
    const context = Buffer.from('{"bucket":"b/o"}')
    const dek = await client.generateKey('shared', context)
    await a.close()
    // The first endpoint is preferred (both are loopback); it is down now, so node b answers.
    expect(await client.decrypt('shared', dek.ciphertext, context)).toEqual(dek.plaintext)
    expect((await client.describeKey('shared')).name).toBe('shared')
    const names: string[] = []
    for await (const n of client.listKeys()) names.push(n)
    expect(names).toEqual(['shared'])
    await expect(client.createKey('shared')).rejects.toEqual(new KesError(400, 'key already exists'))
    expect(await client.hmac('shared', Buffer.from('root access key'))).toHaveLength(32)
    client.close()
  })
})
