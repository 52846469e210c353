/**
 * MinIO's object-tag policy conditions: `s3:ExistingObjectTag/<key>` holds the object's own tags on a read,
 * `s3:RequestObjectTag/<key>` the tags a write sets (x-amz-tagging, or PutObjectTagging's body). A user whose
 * policy allows only what is tagged public cannot read an untagged object, write without the tag, or retag an
 * object to something else.
 */
import {
  CopyObjectCommand, CreateBucketCommand, GetObjectAclCommand, GetObjectCommand, PutBucketVersioningCommand, GetObjectTaggingCommand, PutObjectCommand, PutObjectTaggingCommand,
} from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { adminCall, ROOT, s3Client, startIamServer, type IamServer } from './helpers.js'

let srv: IamServer
beforeAll(async () => {
  srv = await startIamServer({ responseAlgorithm: 2 })
  const root = s3Client(srv, ROOT.accessKey, ROOT.secretKey)
  await root.send(new CreateBucketCommand({ Bucket: 'tagged' }))
  await root.send(new PutObjectCommand({ Bucket: 'tagged', Key: 'public', Body: 'p', Tagging: 'security=public' }))
  await root.send(new PutObjectCommand({ Bucket: 'tagged', Key: 'private', Body: 's', Tagging: 'security=private' }))
  await root.send(new PutObjectCommand({ Bucket: 'tagged', Key: 'untagged', Body: 'u' }))
  const resource = ['arn:aws:s3:::tagged/*']
  const policy = {
    Version: '2012-10-17',
    Statement: [
      { Effect: 'Allow', Action: ['s3:GetObject', 's3:GetObjectTagging'], Resource: resource, Condition: { StringEquals: { 's3:ExistingObjectTag/security': 'public' } } },
      { Effect: 'Allow', Action: ['s3:PutObject', 's3:PutObjectTagging'], Resource: resource, Condition: { StringEquals: { 's3:RequestObjectTag/security': 'public' } } },
    ],
  }
  await userWithPolicy('tagger', 'public-only', policy)
})
afterAll(async () => srv?.close())

/** userWithPolicy stores `policy` as a canned policy and makes `user` (secret `<user>-secret-1`) with it attached. */
async function userWithPolicy(user: string, name: string, policy: object): Promise<void> {
  expect((await adminCall(srv, ROOT, { method: 'PUT', path: '/add-canned-policy', query: [['name', name]], plain: JSON.stringify(policy) })).status).toBe(200)
  await adminCall(srv, ROOT, { method: 'PUT', path: '/add-user', query: [['accessKey', user]], enc: { secretKey: `${user}-secret-1`, status: 'enabled', policy: name } })
}

const outcome = (p: Promise<unknown>): Promise<string> => p.then(() => 'ok', (err: Error) => err.name)

/** withForgedTags makes `command` send `x-amz-tagging: security=public`, as an attacker would on a read. */
function withForgedTags<C extends { middlewareStack: GetObjectCommand['middlewareStack'] }>(command: C): C {
  command.middlewareStack.add((next) => (args) => {
    (args.request as { headers: Record<string, string> }).headers['x-amz-tagging'] = 'security=public'
    return next(args)
  }, { step: 'build', name: 'forgedTags' })
  return command
}

describe('object-tag policy conditions', () => {
  it('reads only what is tagged public, writes only with the tag, retags only to it', async () => {
    const user = s3Client(srv, 'tagger', 'tagger-secret-1')
    expect(await outcome(user.send(new GetObjectCommand({ Bucket: 'tagged', Key: 'public' })))).toBe('ok')
    expect(await outcome(user.send(new GetObjectTaggingCommand({ Bucket: 'tagged', Key: 'public' })))).toBe('ok')
    expect(await outcome(user.send(new GetObjectCommand({ Bucket: 'tagged', Key: 'private' })))).toBe('AccessDenied')
    expect(await outcome(user.send(new GetObjectCommand({ Bucket: 'tagged', Key: 'untagged' })))).toBe('AccessDenied')
    // A tagging header on a read does not stand in for the object's own tags.
    expect(await outcome(user.send(withForgedTags(new GetObjectCommand({ Bucket: 'tagged', Key: 'private' }))))).toBe('AccessDenied')
    // Nor for an object without tags (found by an attack: the header then filled s3:ExistingObjectTag).
    expect(await outcome(user.send(withForgedTags(new GetObjectCommand({ Bucket: 'tagged', Key: 'untagged' }))))).toBe('AccessDenied')
    // Nor for another read decided as s3:GetObject (found when the fix was attacked: GetObjectAcl passed).
    expect(await outcome(user.send(withForgedTags(new GetObjectAclCommand({ Bucket: 'tagged', Key: 'untagged' }))))).toBe('AccessDenied')
    expect(await outcome(user.send(new GetObjectAclCommand({ Bucket: 'tagged', Key: 'public' })))).toBe('ok')
    // Nor a copy's tagging header (the destination's tags) for its source.
    expect(await outcome(user.send(new CopyObjectCommand({
      Bucket: 'tagged', Key: 'copied', CopySource: 'tagged/untagged', Tagging: 'security=public', TaggingDirective: 'REPLACE',
    })))).toBe('AccessDenied')

    expect(await outcome(user.send(new PutObjectCommand({ Bucket: 'tagged', Key: 'new', Body: 'n', Tagging: 'security=public' })))).toBe('ok')
    expect(await outcome(user.send(new PutObjectCommand({ Bucket: 'tagged', Key: 'new2', Body: 'n' })))).toBe('AccessDenied')
    expect(await outcome(user.send(new PutObjectCommand({ Bucket: 'tagged', Key: 'new3', Body: 'n', Tagging: 'security=private' })))).toBe('AccessDenied')

    const retag = (Key: string, value: string) =>
      user.send(new PutObjectTaggingCommand({ Bucket: 'tagged', Key, Tagging: { TagSet: [{ Key: 'security', Value: value }] } }))
    expect(await outcome(retag('untagged', 'private'))).toBe('AccessDenied')
    expect(await outcome(retag('untagged', 'public'))).toBe('ok')
    expect(await outcome(user.send(new GetObjectCommand({ Bucket: 'tagged', Key: 'untagged' })))).toBe('ok')
    // Refused: the object keeps its tags.
    const root = s3Client(srv, ROOT.accessKey, ROOT.secretKey)
    expect((await root.send(new GetObjectTaggingCommand({ Bucket: 'tagged', Key: 'private' }))).TagSet).toEqual([{ Key: 'security', Value: 'private' }])
  })
})

describe('a copy of a named version', () => {
  it('is decided by that version\'s tags, not the latest version\'s', async () => {
    // Found by an attack: the copy source was authorized with the latest version's tags, so a version the
    // user may not GET could be copied into a key it may read.
    const root = s3Client(srv, ROOT.accessKey, ROOT.secretKey)
    await root.send(new CreateBucketCommand({ Bucket: 'tagged-versions' }))
    await root.send(new PutBucketVersioningCommand({ Bucket: 'tagged-versions', VersioningConfiguration: { Status: 'Enabled' } }))
    const secret = await root.send(new PutObjectCommand({ Bucket: 'tagged-versions', Key: 'doc', Body: 'secret v1', Tagging: 'security=private' }))
    await root.send(new PutObjectCommand({ Bucket: 'tagged-versions', Key: 'doc', Body: 'public v2', Tagging: 'security=public' }))
    const policy = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::tagged-versions/*'], Condition: { StringEquals: { 's3:ExistingObjectTag/security': 'public' } } },
        { Effect: 'Allow', Action: ['s3:PutObject'], Resource: ['arn:aws:s3:::tagged-versions/mine/*'] },
      ],
    }
    await userWithPolicy('versioner', 'public-versions', policy)
    const user = s3Client(srv, 'versioner', 'versioner-secret-1')
    expect(await outcome(user.send(new GetObjectCommand({ Bucket: 'tagged-versions', Key: 'doc' })))).toBe('ok')
    expect(await outcome(user.send(new GetObjectCommand({ Bucket: 'tagged-versions', Key: 'doc', VersionId: secret.VersionId })))).toBe('AccessDenied')
    const copy = user.send(new CopyObjectCommand({ Bucket: 'tagged-versions', Key: 'mine/leak', CopySource: `tagged-versions/doc?versionId=${secret.VersionId}` }))
    expect(await outcome(copy)).toBe('AccessDenied')
    expect(await outcome(user.send(new CopyObjectCommand({ Bucket: 'tagged-versions', Key: 'mine/ok', CopySource: 'tagged-versions/doc' })))).toBe('ok')
  })
})

describe('s3:versionid', () => {
  it('binds a Deny on the version a GET or a copy names', async () => {
    // Found by an attack: the key was never supplied, so a Deny on it never applied.
    const root = s3Client(srv, ROOT.accessKey, ROOT.secretKey)
    await root.send(new CreateBucketCommand({ Bucket: 'pinned-versions' }))
    await root.send(new PutBucketVersioningCommand({ Bucket: 'pinned-versions', VersioningConfiguration: { Status: 'Enabled' } }))
    const v1 = await root.send(new PutObjectCommand({ Bucket: 'pinned-versions', Key: 'doc', Body: 'v1' }))
    await root.send(new PutObjectCommand({ Bucket: 'pinned-versions', Key: 'doc', Body: 'v2' }))
    const policy = {
      Version: '2012-10-17',
      Statement: [
        { Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: ['arn:aws:s3:::pinned-versions/*'] },
        { Effect: 'Deny', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::pinned-versions/*'], Condition: { StringEquals: { 's3:versionid': v1.VersionId! } } },
      ],
    }
    await userWithPolicy('pinner', 'not-v1', policy)
    const user = s3Client(srv, 'pinner', 'pinner-secret-1')
    expect(await outcome(user.send(new GetObjectCommand({ Bucket: 'pinned-versions', Key: 'doc' })))).toBe('ok')
    expect(await outcome(user.send(new GetObjectCommand({ Bucket: 'pinned-versions', Key: 'doc', VersionId: v1.VersionId })))).toBe('AccessDenied')
    const copy = user.send(new CopyObjectCommand({ Bucket: 'pinned-versions', Key: 'copy', CopySource: `pinned-versions/doc?versionId=${v1.VersionId}` }))
    expect(await outcome(copy)).toBe('AccessDenied')
    // The version read as the handler reads it (found when the fix was attacked): spaces around it, or another
    // parameter before it in the copy source, named v1 to the handler but nothing to the Deny.
    for (const spaced of [` ${v1.VersionId}`, `${v1.VersionId}\t`]) {
      expect(await outcome(user.send(new GetObjectCommand({ Bucket: 'pinned-versions', Key: 'doc', VersionId: spaced })))).toBe('AccessDenied')
    }
    const reordered = user.send(new CopyObjectCommand({ Bucket: 'pinned-versions', Key: 'copy2', CopySource: `pinned-versions/doc?x=1&versionId=${v1.VersionId}` }))
    expect(await outcome(reordered)).toBe('AccessDenied')
  })
})
