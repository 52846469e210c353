/**
 * The admin (madmin JSON) error catalogue pinned: every code the IAM store and the admin API answer, with its
 * status and message, and the JSON error body mc and madmin-go parse. A change here is a wire change.
 */
import express from 'express'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { sendAdminError } from '../../../src/s3/admin/respond.js'
import { s3err } from '../../../src/s3/api/errors.js'
import { IAM_ERROR_CODES, IamError, iamErr, type IamErrorCode } from '../../../src/s3/iam/errors.js'

const CODES: Array<[IamErrorCode, number, string]> = [
  ['XMinioAdminNoSuchUser', 404, 'The specified user does not exist.'],
  ['XMinioAdminNoSuchGroup', 404, 'The specified group does not exist.'],
  ['XMinioAdminNoSuchPolicy', 404, 'The canned policy does not exist.'],
  ['XMinioAdminNoSuchServiceAccount', 404, 'The specified service account is not found.'],
  ['XMinioAdminGroupNotEmpty', 400, 'The specified group is not empty - cannot remove it.'],
  ['XMinioAdminPolicyChangeAlreadyApplied', 400, 'The specified policy change is already in effect.'],
  ['XMinioAdminInvalidArgument', 400, 'Invalid arguments specified.'],
  ['XMinioAdminInvalidAccessKey', 400, 'The access key is invalid.'],
  ['XMinioAdminInvalidSecretKey', 400, 'The secret key is invalid.'],
  ['XMinioAdminResourceInvalidArgument', 400, 'Resource invalid argument.'],
  ['XMinioInvalidIAMCredentials', 403, 'Credential is not allowed to be same as admin access key'],
  ['XMinioIAMActionNotAllowed', 403, 'Specified IAM action is not allowed'],
  ['XMinioAdminConfigBadJSON', 400, 'JSON configuration provided is of incorrect format'],
  ['MalformedPolicy', 400, 'Policy has invalid resource.'],
  ['PolicyTooLarge', 400, 'Policy exceeds the maximum allowed document size.'],
  ['AccessDenied', 403, 'Access Denied.'],
  ['InternalError', 500, 'We encountered an internal error, please try again.'],
  ['XMinioUnknownAPIRequest', 400, 'Unknown API request'],
]

describe('admin error catalogue', () => {
  it('pins every code: no code is added, dropped or reworded unnoticed', () => {
    expect(IAM_ERROR_CODES.map(([code, status, message]) => [code, status, message])).toEqual(CODES)
  })

  it.each(CODES)('%s answers %i with its catalogue message', (code, status, message) => {
    const err = iamErr(code)
    expect(err).toBeInstanceOf(IamError)
    expect([err.code, err.status, err.message]).toEqual([code, status, message])
  })

  it('keeps the status of the code when the message is more precise', () => {
    const err = iamErr('XMinioAdminNoSuchPolicy', 'The canned policy does not exist: p1')
    expect([err.code, err.status, err.message]).toEqual(['XMinioAdminNoSuchPolicy', 404, 'The canned policy does not exist: p1'])
  })

  it('refuses a code outside the catalogue at compile time', () => {
    // @ts-expect-error: an IamError carries only catalogue codes
    expect(() => iamErr('XMinioNoSuchThing')).toThrow(TypeError)
  })
})

describe('admin JSON error body', () => {
  let base = ''
  let close = (): void => undefined
  beforeAll(async () => {
    const app = express()
    app.get('/iam', (_req, res) => sendAdminError(res, iamErr('XMinioAdminNoSuchUser', 'The specified user does not exist: "a<b>"'), '/minio/admin/v3/user-info'))
    app.get('/s3', (_req, res) => sendAdminError(res, s3err('kms:KeyNotFound'), '/minio/kms/v1/key/status'))
    const server = app.listen(0, '127.0.0.1')
    await new Promise((resolve) => server.once('listening', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    close = () => server.close()
  })
  afterAll(() => close())

  it.each([
    ['/iam', 404, 'XMinioAdminNoSuchUser', 'The specified user does not exist: "a<b>"', '/minio/admin/v3/user-info'],
    ['/s3', 404, 'kms:KeyNotFound', 'key with given key ID does not exist', '/minio/kms/v1/key/status'],
  ])('%s answers the error\'s status and MinIO\'s field order', async (path, status, code, message, resource) => {
    const res = await fetch(base + path)
    expect(res.status).toBe(status)
    expect(res.headers.get('content-type')).toMatch(/^application\/json/)
    const text = await res.text()
    const body = JSON.parse(text) as Record<string, string>
    expect(Object.keys(body)).toEqual(['Code', 'Message', 'Resource', 'RequestId', 'HostId'])
    expect(body).toMatchObject({ Code: code, Message: message, Resource: resource, HostId: '' })
    expect(body.RequestId).toMatch(/^[0-9A-F]{16}$/)
  })
})
