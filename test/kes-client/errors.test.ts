/**
 * The KES client's error predicates against a real Keyhold server: each recognises the answer it names and
 * nothing else, so callers (keyhold-s3's KMS connection) never match server texts themselves.
 */
import { beforeAll, describe, expect, it } from 'vitest'
import {
  KesClient, KesConnectionError, KesError, isDecryptFailed, isKeyExists, isKeyNotFound, isNotAllowed,
} from '../../src/kes-client/index.js'
import { parseErrorBody } from '../../src/kes-client/errors.js'
import { startTestServer, type TestServer } from '../helpers/server.js'

let server: TestServer
let admin: KesClient
let stranger: KesClient

const PREDICATES = { isKeyNotFound, isKeyExists, isDecryptFailed, isNotAllowed }

/** matching names the predicates that accept `err`. */
function matching(err: unknown): string[] {
  return Object.entries(PREDICATES).filter(([, is]) => is(err)).map(([name]) => name)
}

beforeAll(async () => {
  server = await startTestServer()
  const { clients, ca } = server.pki
  admin = await KesClient.create({ endpoints: [server.url], certPem: clients.admin.certPem, keyPem: clients.admin.keyPem, ca: ca.certPem })
  stranger = await KesClient.create({ endpoints: [server.url], certPem: clients.stranger.certPem, keyPem: clients.stranger.keyPem, ca: ca.certPem })
  await admin.createKey('known')
  return () => {
    admin.close()
    stranger.close()
  }
})

describe('KES error predicates', () => {
  it('recognise each answer of a real server, and only that one', async () => {
    expect(matching(await admin.describeKey('missing').catch((e: unknown) => e))).toEqual(['isKeyNotFound'])
    expect(matching(await admin.createKey('known').catch((e: unknown) => e))).toEqual(['isKeyExists'])
    const dek = await admin.generateKey('known', Buffer.from('ctx'))
    expect(matching(await admin.decrypt('known', dek.ciphertext, Buffer.from('other')).catch((e: unknown) => e))).toEqual(['isDecryptFailed'])
    expect(matching(await stranger.describeKey('known').catch((e: unknown) => e))).toEqual(['isNotAllowed'])
  })

  it('recognise an older server\'s wording, which the client maps to the current text', () => {
    expect(matching(parseErrorBody(400, 'application/json', Buffer.from('{"message":"key does already exist"}')))).toEqual(['isKeyExists'])
    expect(matching(parseErrorBody(403, 'text/plain', Buffer.from('prohibited by policy')))).toEqual(['isNotAllowed'])
  })

  it('need the status and the text: the same words with another status, or another error, match nothing', () => {
    expect(matching(new KesError(500, 'key does not exist'))).toEqual([])
    expect(matching(new KesError(404, 'policy does not exist'))).toEqual([])
    expect(matching(new KesError(400, 'decryption failed'))).toEqual([])
    expect(matching(new KesConnectionError('key does not exist'))).toEqual([])
    expect(matching(Object.assign(new Error('key already exists'), { status: 400 }))).toEqual([])
  })
})
