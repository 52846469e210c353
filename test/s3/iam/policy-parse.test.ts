import { describe, expect, it } from 'vitest'
import { MalformedPolicyError, parsePolicy, policyToString } from '../../../src/s3/iam/policy/index.js'

const st = (s: object): string => JSON.stringify({ Version: '2012-10-17', Statement: [s] })
const ok = { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::b/*' }

describe('policy parsing: precise MalformedPolicy errors', () => {
  it.each([
    ['not JSON', '{"Version":', /^policy is not valid JSON: /],
    ['not an object', '[1]', /^policy must be a JSON object$/],
    ['bad version', JSON.stringify({ Version: '2013-01-01', Statement: [] }), /^invalid version '2013-01-01'$/],
    ['unknown top field', JSON.stringify({ Version: '2012-10-17', Statment: [] }), /^policy: unknown field 'Statment'$/],
    ['bad effect', st({ ...ok, Effect: 'Permit' }), /^Statement\[0\]: invalid Effect 'Permit'$/],
    ['missing effect', st({ Action: 's3:GetObject', Resource: 'arn:aws:s3:::b' }), /^Statement\[0\]: invalid Effect ''$/],
    ['no action', st({ Effect: 'Allow', Resource: 'arn:aws:s3:::b' }), /^Statement\[0\]: Action must not be empty$/],
    ['unsupported action', st({ ...ok, Action: 's3:ListObjects' }), /^Statement\[0\]: unsupported action 's3:ListObjects'$/],
    ['unknown wildcard action', st({ ...ok, Action: 'foo:*' }), /unsupported action 'foo:\*'/],
    ['action and notaction', st({ ...ok, NotAction: 's3:PutObject' }), /Action and NotAction cannot both be present/],
    ['no resource', st({ Effect: 'Allow', Action: 's3:GetObject' }), /^Statement\[0\]: Resource must not be empty$/],
    ['bad resource', st({ ...ok, Resource: 'arn:aws:s4:::b' }), /^Statement\[0\]: invalid resource 'arn:aws:s4:::b'$/],
    ['empty resource pattern', st({ ...ok, Resource: 'arn:aws:s3:::' }), /invalid resource 'arn:aws:s3:::'/],
    ['resource not a string', st({ ...ok, Resource: [1] }), /Statement\[0\].Resource must be a string or an array of strings/],
    ['bad condition operator', st({ ...ok, Condition: { StringSorta: { 's3:prefix': 'a' } } }), /invalid condition operator 'StringSorta'/],
    ['bad qualifier', st({ ...ok, Condition: { 'ForSomeValues:StringLike': { 's3:prefix': 'a' } } }), /invalid condition operator 'ForSomeValues:StringLike'/],
    ['bad IP', st({ ...ok, Condition: { IpAddress: { 'aws:SourceIp': '10.0.0.0/33' } } }), /invalid value '10.0.0.0\/33' for condition 'IpAddress' on 'aws:SourceIp'/],
    ['bad date', st({ ...ok, Condition: { DateLessThan: { 'aws:CurrentTime': 'soon' } } }), /invalid value 'soon'/],
    ['bad bool', st({ ...ok, Condition: { Bool: { 'aws:SecureTransport': 'yes' } } }), /invalid value 'yes'/],
    ['no values', st({ ...ok, Condition: { StringEquals: { 's3:prefix': [] } } }), /has no values/],
    ['duplicate sid', JSON.stringify({ Version: '2012-10-17', Statement: [{ ...ok, Sid: 'x' }, { ...ok, Sid: 'x' }] }), /^duplicate Sid 'x'$/],
    ['unknown statement field', st({ ...ok, NotPrincipal: '*' }), /^Statement\[0\]: unknown field 'NotPrincipal'$/],
  ])('%s', (_name, text, message) => {
    let error: unknown
    try {
      parsePolicy(text)
    } catch (err) {
      error = err
    }
    expect(error).toBeInstanceOf(MalformedPolicyError)
    expect((error as Error).message).toMatch(message)
  })

  it('accepts single-string fields, case-insensitive names and a missing Version, and serialises canonically', () => {
    const p = parsePolicy('{"statement":{"effect":"Allow","action":"s3:GetObject","resource":"arn:aws:s3:::b/*"}}')
    expect(p.statements).toHaveLength(1)
    expect(policyToString(p)).toBe('{"Version":"","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":["arn:aws:s3:::b/*"]}]}')
  })

  it('bucket policies require a Principal and resources inside the bucket', () => {
    const pub = { Effect: 'Allow', Principal: { AWS: ['*'] }, Action: 's3:GetObject', Resource: 'arn:aws:s3:::pub/*' }
    expect(parsePolicy(st(pub), { bucket: 'pub' }).statements[0]!.principals).toEqual(['*'])
    expect(() => parsePolicy(st({ ...pub, Principal: undefined }), { bucket: 'pub' })).toThrow('Principal must not be empty')
    expect(() => parsePolicy(st({ ...pub, Principal: { CanonicalUser: 'x' } }), { bucket: 'pub' })).toThrow('invalid Principal')
    expect(() => parsePolicy(st(pub), { bucket: 'other' })).toThrow("resource 'arn:aws:s3:::pub/*' does not belong to bucket 'other'")
    expect(() => parsePolicy(JSON.stringify({ Version: '2012-10-17', Statement: [] }), { bucket: 'pub' })).toThrow('at least one statement')
  })
})
