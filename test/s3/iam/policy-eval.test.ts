import { describe, expect, it } from 'vitest'
import { CANNED_POLICIES, isAllowed, parsePolicy, type PolicyArgs } from '../../../src/s3/iam/policy/index.js'

const doc = (...statements: object[]): string => JSON.stringify({ Version: '2012-10-17', Statement: statements })
const args = (action: string, bucket?: string, object?: string, conditions: Record<string, string[]> = {}): PolicyArgs =>
  ({ action, ...(bucket ? { bucket } : {}), ...(object ? { object } : {}), conditions })

const readBucketA = doc(
  { Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: ['arn:aws:s3:::a', 'arn:aws:s3:::a/*'] },
)
const denyOverAllow = doc(
  { Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::*' },
  { Effect: 'Deny', Action: ['s3:DeleteObject'], Resource: 'arn:aws:s3:::logs/*' },
)
const notAction = doc({ Effect: 'Allow', NotAction: ['s3:DeleteObject', 's3:DeleteBucket'], Resource: 'arn:aws:s3:::*' })
const notResource = doc({ Effect: 'Allow', Action: 's3:GetObject', NotResource: 'arn:aws:s3:::secret/*' })
const wildcards = doc({ Effect: 'Allow', Action: 's3:Get*', Resource: 'arn:aws:s3:::photos/20??/*.jpg' })
const prefixCond = doc({
  Effect: 'Allow', Action: 's3:ListBucket', Resource: 'arn:aws:s3:::home',
  Condition: { StringLike: { 's3:prefix': ['alice/*', ''] }, StringEquals: { 's3:delimiter': '/' } },
})
const tls = doc({ Effect: 'Deny', Action: 's3:*', Resource: 'arn:aws:s3:::*', Condition: { Bool: { 'aws:SecureTransport': false } } },
  { Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::*' })
const ip = doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::*', Condition: { IpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '::1/128'] } } })
const until = doc({ Effect: 'Allow', Action: 's3:GetObject', Resource: 'arn:aws:s3:::*', Condition: { DateLessThan: { 'aws:CurrentTime': '2030-01-01T00:00:00Z' } } })
const userVar = doc({ Effect: 'Allow', Action: 's3:*', Resource: 'arn:aws:s3:::home/${aws:username}/*' })
const adminOnly = doc({ Effect: 'Allow', Action: ['admin:CreateUser', 'admin:List*'] })
// Found by an attack: an S3-scoped NotAction (or `*`) statement granted every admin action, so its user made itself consoleAdmin.
const notActionOnBucket = doc({ Effect: 'Allow', NotAction: ['s3:DeleteObject'], Resource: 'arn:aws:s3:::shared/*' })
const anyActionOnBucket = doc({ Effect: 'Allow', Action: ['*'], Resource: 'arn:aws:s3:::shared/*' })
const anyActionAnywhere = doc({ Effect: 'Allow', Action: ['*'], Resource: 'arn:aws:s3:::*' })
// Found when the fix above was attacked: `*/*` ("every object"), `*/` or `?` match the admin request's resource `/`.
const notActionOnEveryObject = doc({ Effect: 'Allow', NotAction: ['s3:DeleteObject'], Resource: 'arn:aws:s3:::*/*' })
const anyActionOnEveryObject = doc({ Effect: 'Allow', Action: ['*'], Resource: ['arn:aws:s3:::*/*', 'arn:aws:s3:::?'] })
const anyActionNotResource = doc({ Effect: 'Allow', Action: ['*'], NotResource: ['arn:aws:s3:::private', 'arn:aws:s3:::private/*'] })
const denyNotActionEveryObject = doc({ Effect: 'Allow', Action: ['admin:*'] }, { Effect: 'Deny', NotAction: ['s3:GetObject'], Resource: 'arn:aws:s3:::*/*' })
const exactObject = doc({ Effect: 'Allow', Action: ['s3:GetObject', 's3:ListBucket'], Resource: ['arn:aws:s3:::shared/plan.txt', 'arn:aws:s3:::shared'] })
const adminWithBucket = doc({ Effect: 'Allow', Action: ['admin:ListUsers'], Resource: 'arn:aws:s3:::shared/*' })
const notEquals = doc({ Effect: 'Allow', Action: 's3:PutObject', Resource: 'arn:aws:s3:::*', Condition: { StringNotEquals: { 's3:x-amz-server-side-encryption': 'AES256' } } })

const kmsDenyProd = doc({ Effect: 'Allow', Action: ['kms:*'] }, { Effect: 'Deny', Action: ['kms:ListKeys'], Resource: ['arn:minio:kms:::prod-*'] })
const kmsDenyAll = doc({ Effect: 'Allow', Action: ['kms:*'] }, { Effect: 'Deny', Action: ['kms:ListKeys'], Resource: ['arn:minio:kms:::*'] })
const kmsAppKeys = doc({ Effect: 'Allow', Action: ['kms:ListKeys'], Resource: ['arn:minio:kms:::app-*'] })
const table: Array<[string, string, PolicyArgs, boolean]> = [
  ['bucket resource allows bucket-level action', readBucketA, args('s3:ListBucket', 'a'), true],
  ['object resource allows object action', readBucketA, args('s3:GetObject', 'a', 'x/y.txt'), true],
  ['other bucket is implicitly denied', readBucketA, args('s3:GetObject', 'b', 'x'), false],
  ['unlisted action is implicitly denied', readBucketA, args('s3:PutObject', 'a', 'x'), false],
  ['prefix-sharing bucket does not match', readBucketA, args('s3:GetObject', 'ab', 'x'), false],
  ['allow everywhere', denyOverAllow, args('s3:DeleteObject', 'data', 'k'), true],
  ['explicit deny wins over allow', denyOverAllow, args('s3:DeleteObject', 'logs', 'k'), false],
  ['deny wins even for the owner', denyOverAllow, { ...args('s3:DeleteObject', 'logs', 'k'), isOwner: true }, false],
  ['owner allowed without a matching allow', readBucketA, { ...args('s3:PutObject', 'z', 'k'), isOwner: true }, true],
  ['denyOnly allows what no deny forbids', denyOverAllow, { ...args('s3:PutObject', 'logs', 'k'), denyOnly: true }, true],
  ['NotAction allows others', notAction, args('s3:PutObject', 'b', 'k'), true],
  ['NotAction excludes listed', notAction, args('s3:DeleteObject', 'b', 'k'), false],
  ['NotResource allows others', notResource, args('s3:GetObject', 'public', 'k'), true],
  ['NotResource excludes listed', notResource, args('s3:GetObject', 'secret', 'k'), false],
  ['action and ? wildcards match', wildcards, args('s3:GetObjectTagging', 'photos', '2024/a/b.jpg'), true],
  ['? needs exactly one char', wildcards, args('s3:GetObject', 'photos', '202/a.jpg'), false],
  ['suffix must match', wildcards, args('s3:GetObject', 'photos', '2024/a.png'), false],
  ['StringLike prefix matches', prefixCond, args('s3:ListBucket', 'home', undefined, { 's3:prefix': ['alice/docs/'], 's3:delimiter': ['/'] }), true],
  ['empty prefix listed in policy', prefixCond, args('s3:ListBucket', 'home', undefined, { 's3:prefix': [''], 's3:delimiter': ['/'] }), true],
  ['other prefix refused', prefixCond, args('s3:ListBucket', 'home', undefined, { 's3:prefix': ['bob/'], 's3:delimiter': ['/'] }), false],
  ['missing delimiter fails StringEquals', prefixCond, args('s3:ListBucket', 'home', undefined, { 's3:prefix': ['alice/'] }), false],
  ['plain HTTP is denied', tls, args('s3:GetObject', 'b', 'k', { 'aws:SecureTransport': ['false'] }), false],
  ['TLS is allowed', tls, args('s3:GetObject', 'b', 'k', { 'aws:SecureTransport': ['true'] }), true],
  ['IP inside CIDR', ip, args('s3:GetObject', 'b', 'k', { 'aws:SourceIp': ['10.1.2.3'] }), true],
  ['IPv6 loopback', ip, args('s3:GetObject', 'b', 'k', { 'aws:SourceIp': ['::1'] }), true],
  ['IP outside CIDR', ip, args('s3:GetObject', 'b', 'k', { 'aws:SourceIp': ['192.168.1.1'] }), false],
  ['missing SourceIp fails', ip, args('s3:GetObject', 'b', 'k'), false],
  ['before the date', until, args('s3:GetObject', 'b', 'k', { 'aws:CurrentTime': ['2026-11-27T00:00:00Z'] }), true],
  ['after the date', until, args('s3:GetObject', 'b', 'k', { 'aws:CurrentTime': ['2031-01-01T00:00:00Z'] }), false],
  ['${aws:username} substituted', userVar, args('s3:PutObject', 'home', 'alice/f', { 'aws:username': ['alice'] }), true],
  ['${aws:username} of someone else', userVar, args('s3:PutObject', 'home', 'bob/f', { 'aws:username': ['alice'] }), false],
  ['admin statement ignores Resource', adminOnly, args('admin:ListUsers'), true],
  ['admin wildcard limited', adminOnly, args('admin:DeleteUser'), false],
  ['admin policy grants no s3', adminOnly, args('s3:GetObject', 'b', 'k'), false],
  ['NotAction on a bucket grants no admin action', notActionOnBucket, args('admin:AttachUserOrGroupPolicy'), false],
  ['NotAction on a bucket grants no user creation', notActionOnBucket, args('admin:CreateUser'), false],
  ['NotAction on a bucket grants no KMS action', notActionOnBucket, args('kms:CreateKey', undefined, 'k'), false],
  ['NotAction on a bucket grants no STS action', notActionOnBucket, args('sts:AssumeRole'), false],
  ['NotAction on a bucket still grants its objects', notActionOnBucket, args('s3:GetObject', 'shared', 'k'), true],
  ['`*` on a bucket grants no admin action', anyActionOnBucket, args('admin:CreateUser'), false],
  ['`*` on every resource grants admin actions (as MinIO)', anyActionAnywhere, args('admin:CreateUser'), true],
  ['an admin action named with a bucket resource is granted (as MinIO)', adminWithBucket, args('admin:ListUsers'), true],
  ['NotAction on every object grants no admin action', notActionOnEveryObject, args('admin:CreateUser'), false],
  ['NotAction on every object grants no KMS action', notActionOnEveryObject, args('kms:CreateKey', undefined, 'prod-1'), false],
  ['NotAction on every object still grants objects', notActionOnEveryObject, args('s3:GetObject', 'b', 'k'), true],
  ['`*` on every object or `?` grants no admin action', anyActionOnEveryObject, args('admin:AttachUserOrGroupPolicy'), false],
  ['`*` with only NotResource grants no admin action', anyActionNotResource, args('admin:CreateUser'), false],
  ['a Deny by NotAction on every object still binds admin actions (as MinIO)', denyNotActionEveryObject, args('admin:ListUsers'), false],
  ['an exact object grant does not cover its trailing-slash twin', exactObject, args('s3:GetObject', 'shared', 'plan.txt/'), false],
  ['an exact object grant does not cover a dot-segment path to it', exactObject, args('s3:GetObject', 'shared', 'x/../plan.txt'), false],
  ['an exact object grant covers the object', exactObject, args('s3:GetObject', 'shared', 'plan.txt'), true],
  ['a bucket grant still covers the bucket\'s own requests', exactObject, args('s3:ListBucket', 'shared'), true],
  ['a KMS call naming no key is decided by the action (MinIO\'s resource `/`)', kmsAppKeys, args('kms:ListKeys'), true],
  ['a KMS call naming a granted key', kmsAppKeys, args('kms:ListKeys', undefined, 'app-1'), true],
  ['a KMS call naming another key', kmsAppKeys, args('kms:ListKeys', undefined, 'prod-1'), false],
  ['a KMS action the statement does not name, no key', kmsAppKeys, args('kms:CreateKey'), false],
  ['a Deny of some keys leaves a call naming no key allowed', kmsDenyProd, args('kms:ListKeys'), true],
  ['a Deny of some keys binds those keys', kmsDenyProd, args('kms:ListKeys', undefined, 'prod-1'), false],
  ['a Deny of every key binds a call naming no key', kmsDenyAll, args('kms:ListKeys'), false],
  ['StringNotEquals with absent key holds', notEquals, args('s3:PutObject', 'b', 'k'), true],
  ['StringNotEquals with equal value fails', notEquals, args('s3:PutObject', 'b', 'k', { 's3:x-amz-server-side-encryption': ['AES256'] }), false],
]

describe('policy evaluation', () => {
  it.each(table)('%s', (_name, text, a, expected) => {
    expect(isAllowed(parsePolicy(text), a)).toBe(expected)
  })
})

describe('canned policies', () => {
  const canned = (name: string) => CANNED_POLICIES.get(name)!
  it.each([
    ['readonly', 's3:GetObject', true], ['readonly', 's3:GetBucketLocation', true], ['readonly', 's3:ListBucket', false],
    ['readonly', 's3:PutObject', false], ['readonly', 's3:DeleteObject', false],
    ['writeonly', 's3:PutObject', true], ['writeonly', 's3:GetObject', false],
    ['readwrite', 's3:DeleteObject', true], ['readwrite', 'admin:CreateUser', false],
    ['diagnostics', 'admin:ServerInfo', true], ['diagnostics', 'admin:CreateUser', false], ['diagnostics', 's3:GetObject', false],
    ['consoleAdmin', 'admin:CreateUser', true], ['consoleAdmin', 'kms:CreateKey', true], ['consoleAdmin', 's3:PutObject', true],
  ] as const)('%s → %s = %s', (name, action, expected) => {
    expect(isAllowed(canned(name), args(action, 'bucket', action.startsWith('s3:') ? 'key' : undefined))).toBe(expected)
  })

  it('are exactly the five MinIO documents', () => {
    expect([...CANNED_POLICIES.keys()].sort()).toEqual(['consoleAdmin', 'diagnostics', 'readonly', 'readwrite', 'writeonly'])
  })
})
