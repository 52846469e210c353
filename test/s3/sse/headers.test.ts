import { createHash, randomBytes } from 'node:crypto'
import { describe, expect, it } from 'vitest'
import { S3Error } from '../../../src/s3/api/errors.js'
import { applyBucketDefault, parseBucketSseConfig, serializeBucketSseConfig } from '../../../src/s3/sse/bucket-config.js'
import { checkReadHeaders, classifyWrite, parseKmsContext } from '../../../src/s3/sse/request.js'
import { marshalContext, objectContext, sseKmsContext } from '../../../src/s3/kms/context.js'

function err(fn: () => unknown): S3Error {
  try {
    fn()
  } catch (e) {
    if (e instanceof S3Error) return e
    throw e
  }
  throw new Error('no error thrown')
}

const ssec = (key = randomBytes(32)) => ({
  'x-amz-server-side-encryption-customer-algorithm': 'AES256',
  'x-amz-server-side-encryption-customer-key': key.toString('base64'),
  'x-amz-server-side-encryption-customer-key-md5': createHash('md5').update(key).digest('base64'),
})

describe('SSE request classification', () => {
  it('classifies SSE-S3, SSE-KMS (with and without arn prefix, context) and SSE-C', () => {
    expect(classifyWrite({}, false)).toEqual({ kind: 'none' })
    expect(classifyWrite({ 'x-amz-server-side-encryption': 'AES256' }, false)).toEqual({ kind: 'SSE-S3' })
    expect(classifyWrite({ 'x-amz-server-side-encryption': 'aws:kms' }, false)).toEqual({ kind: 'SSE-KMS', keyId: '' })
    expect(classifyWrite({ 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': 'arn:aws:kms:my-key' }, false))
      .toEqual({ kind: 'SSE-KMS', keyId: 'my-key' })
    const ctx = Buffer.from(JSON.stringify({ project: 'x' })).toString('base64')
    expect(classifyWrite({ 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': 'k', 'x-amz-server-side-encryption-context': ctx }, false))
      .toEqual({ kind: 'SSE-KMS', keyId: 'k', context: { project: 'x' } })
    const key = randomBytes(32)
    const c = classifyWrite(ssec(key), true)
    expect(c.kind).toBe('SSE-C')
  })

  it('answers MinIO\'s errors', () => {
    let e = err(() => classifyWrite({ 'x-amz-server-side-encryption': 'aes256' }, true))
    expect([e.status, e.code, e.message]).toEqual([400, 'InvalidArgument', 'Server Side Encryption with AWS KMS managed key requires HTTP header x-amz-server-side-encryption : aws:kms'])
    e = err(() => classifyWrite({ 'x-amz-server-side-encryption-aws-kms-key-id': 'k' }, true))
    expect(e.code).toBe('InvalidArgument')
    e = err(() => classifyWrite({ 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': ' k' }, true))
    expect([e.status, e.code, e.message]).toEqual([400, 'InvalidRequest', 'The specified KMS KeyID contains unsupported characters'])
    e = err(() => classifyWrite(ssec(), false))
    expect([e.status, e.code, e.message]).toEqual([400, 'InvalidRequest', 'Requests specifying Server Side Encryption with Customer provided keys must be made over a secure connection.'])
    e = err(() => classifyWrite({ ...ssec(), 'x-amz-server-side-encryption': 'AES256' }, true))
    expect(e.message).toBe('Server Side Encryption with Customer provided key is incompatible with the encryption method specified')
    e = err(() => classifyWrite({ ...ssec(), 'x-amz-server-side-encryption-customer-key-md5': createHash('md5').update('x').digest('base64') }, true))
    expect(e.message).toBe('The calculated MD5 hash of the key did not match the hash that was provided.')
    e = err(() => classifyWrite({ ...ssec(), 'x-amz-server-side-encryption-customer-key': randomBytes(16).toString('base64') }, true))
    expect(e.message).toBe('The secret key was invalid for the specified algorithm.')
    e = err(() => classifyWrite({ ...ssec(), 'x-amz-server-side-encryption-customer-algorithm': 'AES128' }, true))
    expect(e.message).toBe('Requests specifying Server Side Encryption with Customer provided keys must provide a valid encryption algorithm.')
    e = err(() => checkReadHeaders({ 'x-amz-server-side-encryption': 'AES256' }))
    expect([e.status, e.code, e.message]).toEqual([400, 'InvalidRequest', 'The encryption parameters are not applicable to this object.'])
    e = err(() => classifyWrite({ 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-context': 'bm90IGpzb24=' }, true))
    expect(e.status).toBe(400)
  })

  it.each(['app-1/x', 'app-1 x', 'app-1%00', 'arn:aws:kms:a/b', '-app', 'x'.repeat(81), '../k', 'k*', '_'])(
    'refuses the SSE-KMS key id %j as MinIO\'s InvalidEncryptionKeyID, before any KMS call', (id) => {
      const e = err(() => classifyWrite({ 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-aws-kms-key-id': id }, true))
      expect([e.status, e.code, e.message]).toEqual([400, 'InvalidRequest', 'The specified KMS KeyID contains unsupported characters'])
    })
})

describe('bucket encryption config', () => {
  const xml = (alg: string, key?: string, rules = 1) => `<ServerSideEncryptionConfiguration>${('<Rule><ApplyServerSideEncryptionByDefault>' +
    `<SSEAlgorithm>${alg}</SSEAlgorithm>${key !== undefined ? `<KMSMasterKeyID>${key}</KMSMasterKeyID>` : ''}</ApplyServerSideEncryptionByDefault></Rule>`).repeat(rules)}</ServerSideEncryptionConfiguration>`
  const prefix = 'The XML you provided was not well-formed or did not validate against our published schema.'

  it('accepts what mc sends and stores it with the S3 namespace', () => {
    const c = parseBucketSseConfig(xml('aws:kms', 'arn:aws:kms:my-key'))
    expect(c).toEqual({ algorithm: 'aws:kms', kmsMasterKeyId: 'arn:aws:kms:my-key' })
    expect(serializeBucketSseConfig(c)).toContain('xmlns="http://s3.amazonaws.com/doc/2006-03-01/"')
    expect(applyBucketDefault(serializeBucketSseConfig(c), false)).toEqual({ kind: 'SSE-KMS', keyId: 'my-key' })
    expect(applyBucketDefault(serializeBucketSseConfig(parseBucketSseConfig(xml('AES256'))), true)).toEqual({ kind: 'SSE-S3' })
    expect(applyBucketDefault(undefined, true)).toEqual({ kind: 'SSE-KMS', keyId: '' })
    expect(applyBucketDefault(undefined, false)).toEqual({ kind: 'none' })
  })

  it.each([
    [xml('aws:kms', 'a', 2), 'only one server-side encryption rule is allowed at a time'],
    [xml('DES'), 'Unknown SSE algorithm'],
    [xml('AES256', 'k'), 'MasterKeyID is allowed with aws:kms only'],
    [xml('aws:kms'), 'MasterKeyID is missing with aws:kms'],
    [xml('aws:kms', 'k '), 'MasterKeyID contains unsupported characters'],
    [xml('aws:kms', 'app-1/x'), 'MasterKeyID contains unsupported characters'],
    [xml('aws:kms', 'arn:aws:kms:app 1'), 'MasterKeyID contains unsupported characters'],
    ['', 'XML syntax error'],
    ['<ServerSideEncryptionConfiguration><Rule>', 'XML syntax error'],
    ['<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>' + xml('aws:kms', '&b;'), 'XML syntax error'],
    ['<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + xml('aws:kms', '&e;'), 'XML syntax error'],
    [`<ServerSideEncryptionConfiguration>${'<Rule>'.repeat(10_000)}${'</Rule>'.repeat(10_000)}</ServerSideEncryptionConfiguration>`, 'XML syntax error'],
    ['<Other>' + xml('AES256') + '</Other>', 'XML syntax error'],
  ])('refuses invalid configs with MinIO\'s reason', (body, reason) => {
    const e = err(() => parseBucketSseConfig(body))
    expect([e.status, e.code, e.message]).toEqual([400, 'MalformedXML', `${prefix} (${reason})`])
  })
})

describe('KMS context', () => {
  it('is canonical JSON as MinIO marshals it', () => {
    expect(marshalContext({}).toString()).toBe('{}')
    expect(marshalContext(objectContext('mybucket', 'photos/a.jpg')).toString('base64')).toBe('eyJteWJ1Y2tldCI6Im15YnVja2V0L3Bob3Rvcy9hLmpwZyJ9')
    expect(marshalContext({ 'MinIO admin API': 'KMSKeyStatusHandler' }).toString('base64')).toBe('eyJNaW5JTyBhZG1pbiBBUEkiOiJLTVNLZXlTdGF0dXNIYW5kbGVyIn0=')
    expect(marshalContext({ b: '<&>', a: 'x\n\u0001\u2028"\\' }).toString()).toBe('{"a":"x\\n\\u0001\\u2028\\"\\\\","b":"\\u003c\\u0026\\u003e"}')
    expect(sseKmsContext('b', 'o', { b: 'mine' })).toEqual({ b: 'mine' })
    // A lone surrogate in a client context is normalised, so the stored context marshals identically later.
    const c = parseKmsContext(Buffer.from('{"k":"a\\ud800b"}').toString('base64'))
    expect(marshalContext(parseKmsContext(marshalContext(c).toString('base64'))).equals(marshalContext(c))).toBe(true)
    expect(sseKmsContext('b', 'o', { x: '1' })).toEqual({ x: '1', b: 'b/o' })
  })

  it('binds every pair, "__proto__" and other Object.prototype names included', () => {
    const asked = '{"__proto__":"tenant-A","purpose":"payroll","constructor":"c","hasOwnProperty":"h"}'
    const req = classifyWrite({ 'x-amz-server-side-encryption': 'aws:kms', 'x-amz-server-side-encryption-context': Buffer.from(asked).toString('base64') }, true)
    const context = req.kind === 'SSE-KMS' ? req.context : undefined
    expect(Object.keys(context ?? {}).sort()).toEqual(['__proto__', 'constructor', 'hasOwnProperty', 'purpose'])
    // What is stored and answered, and what the data key is bound to (with the bucket/object pair added).
    expect(marshalContext(context).toString()).toBe('{"__proto__":"tenant-A","constructor":"c","hasOwnProperty":"h","purpose":"payroll"}')
    expect(marshalContext(sseKmsContext('b', 'o', context)).toString()).toBe('{"__proto__":"tenant-A","b":"b/o","constructor":"c","hasOwnProperty":"h","purpose":"payroll"}')
    // Read back from the stored header value, the context is the same.
    expect(marshalContext(parseKmsContext(marshalContext(context).toString('base64'))).equals(marshalContext(context))).toBe(true)
  })
})
