/**
 * The error catalogue: the (status, message) pairs clients match byte for byte (docs/kes-compatibility.md, "Errors"),
 * and the wire form of an error reply.
 */
import { describe, expect, it } from 'vitest'
import * as E from '../../../src/kms/api/errors.js'
import { goJson } from '../../../src/kms/api/reply.js'

describe('error catalogue', () => {
  it.each([
    [E.errKeyNotFound(), 404, 'key does not exist'],
    [E.errKeyExists(), 400, 'key already exists'],
    [E.errPolicyNotFound(), 404, 'policy does not exist'],
    [E.errIdentityNotFound(), 404, 'identity does not exist'],
    [E.errNotAllowed(), 403, 'not authorized: insufficient permissions'],
    [E.errDecrypt(), 400, 'decryption failed: ciphertext is not authentic'],
    [E.errCertRequired(), 400, 'tls: client certificate is required'],
    [E.errTooManyCerts(), 400, 'tls: received more than one client certificate'],
    [E.errTlsRequired(), 400, 'insecure connection: TLS is required'],
    [E.errMethodNotAllowed('GET', 'PUT'), 405, "received method 'GET' expected 'PUT'"],
    [E.errInvalidBody(), 400, 'invalid request body'],
    [E.errInvalidImportBody(), 400, 'invalid import key request body'],
    [E.errNoHmac(), 409, 'key does not support HMAC'],
    [E.errAlgorithmNotSupported('X'), 406, "algorithm 'X' is not supported"],
    [E.errInvalidKeySize('AES256'), 406, "invalid key size for 'AES256'"],
    [E.errReadKey(), 502, 'failed to read key'],
    [E.errCreateKey(), 502, 'failed to create key'],
    [E.errDeleteKey(), 502, 'failed to delete key'],
    [E.errListKeys(), 502, 'failed to list keys'],
    [E.errStoreUnreachable(), 504, 'key store is not reachable'],
    [E.errStoreUnavailable(), 502, 'key store is unavailable'],
    [E.errGenerateKey(), 500, 'failed to generate encryption key'],
    [E.errEncrypt(), 500, 'failed to encrypt plaintext'],
    [E.errTooManyCiphertexts(), 400, 'too many ciphertexts'],
    [E.errNotImplemented(), 501, 'not implemented'],
    // Keyhold extensions (docs/kes-compatibility.md, "Keyhold extensions").
    [E.errKeyDisabled(), 409, 'key is disabled'],
    [E.errKeyNotScheduled(), 409, 'key is not scheduled for deletion'],
    [E.errKeyStateConflict(), 409, 'key state was changed concurrently'],
    [E.errUpdateKeyState(), 502, 'failed to update key state'],
  ])('%s', (err, status, message) => {
    expect([err.status, err.message, err.expose]).toEqual([status, message, true])
  })

  it('keeps causes internal', () => {
    const err = E.errCreateKey(new Error('vault: permission denied on secret/x'))
    expect(err.message).toBe('failed to create key')
    expect((err.cause as Error).message).toContain('vault')
  })

  it('hides the message of an ad-hoc 5xx by default', () => {
    expect(new E.ApiError('INTERNAL', 500, 'detail').expose).toBe(false)
  })

  it('encodes JSON as Go does (HTML-escaped, newline-terminated)', () => {
    expect(goJson({ message: "key name '<a&b>' is empty" })).toBe('{"message":"key name \'\\u003ca\\u0026b\\u003e\' is empty"}\n')
  })
})
