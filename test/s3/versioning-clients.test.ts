import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { CreateBucketCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, describe, expect, it } from 'vitest'
import { runS3Cli } from '../../src/cli/keyhold-s3/index.js'
import { ROOT_PASSWORD, ROOT_USER, useS3 } from '../helpers/s3.js'

const run = promisify(execFile)
const fx = useS3()
const work = mkdtempSync(join(tmpdir(), 'keyhold-s3-versions-cli-'))
afterAll(() => rmSync(work, { recursive: true, force: true }))

async function cli(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = ''
  let err = ''
  const env = { KEYHOLD_S3_CONFIG_DIR: join(work, 'cfg') }
  const code = await runS3Cli(argv, { env, stdout: (s) => { out += s }, stderr: (s) => { err += s } })
  return { code, out, err }
}

describe('versioning with boto3 and the keyhold-s3 CLI', () => {
  it('boto3: enable, versions, markers (404 latest, 405 by id), versioned delete_objects, paging, suspend', async () => {
    const script = `
import boto3, sys, re, time
from botocore.config import Config
from botocore.exceptions import ClientError
s3 = boto3.client('s3', endpoint_url=sys.argv[1], region_name='us-east-1', config=Config(signature_version='s3v4', retries={'max_attempts': 1}))
s3.create_bucket(Bucket='boto-v')
s3.put_object(Bucket='boto-v', Key='k', Body=b'null version')
s3.put_bucket_versioning(Bucket='boto-v', VersioningConfiguration={'Status': 'Enabled'})
assert s3.get_bucket_versioning(Bucket='boto-v')['Status'] == 'Enabled'
ids = []
for i in range(3):
    ids.append(s3.put_object(Bucket='boto-v', Key='k', Body=b'v%d' % i)['VersionId'])
    time.sleep(0.01)
assert all(re.match(r'^[0-9a-f-]{36}$', v) for v in ids), ids
assert s3.get_object(Bucket='boto-v', Key='k', VersionId=ids[0])['Body'].read() == b'v0'
assert s3.get_object(Bucket='boto-v', Key='k', VersionId='null')['Body'].read() == b'null version'
dm = s3.delete_object(Bucket='boto-v', Key='k')
assert dm['DeleteMarker'] is True and dm['VersionId'], dm
try:
    s3.get_object(Bucket='boto-v', Key='k'); raise SystemExit('latest marker served')
except ClientError as e:
    assert e.response['Error']['Code'] == 'NoSuchKey', e.response
    assert e.response['ResponseMetadata']['HTTPHeaders']['x-amz-delete-marker'] == 'true'
try:
    s3.get_object(Bucket='boto-v', Key='k', VersionId=dm['VersionId']); raise SystemExit('marker served')
except ClientError as e:
    assert e.response['ResponseMetadata']['HTTPStatusCode'] == 405, e.response
v = s3.list_object_versions(Bucket='boto-v')
assert [x['VersionId'] for x in v['Versions']] == ids[::-1] + ['null'], v['Versions']
assert [(x['VersionId'], x['IsLatest']) for x in v['DeleteMarkers']] == [(dm['VersionId'], True)]
assert 'Contents' not in s3.list_objects_v2(Bucket='boto-v')
pages = s3.get_paginator('list_object_versions').paginate(Bucket='boto-v', PaginationConfig={'PageSize': 2})
seen = [x['VersionId'] for p in pages for x in p.get('Versions', []) + p.get('DeleteMarkers', [])]
assert sorted(seen) == sorted(ids + ['null', dm['VersionId']]), seen
d = s3.delete_objects(Bucket='boto-v', Delete={'Objects': [{'Key': 'k', 'VersionId': dm['VersionId']}, {'Key': 'k', 'VersionId': ids[2]}]})
got = sorted((x['VersionId'], x.get('DeleteMarker', False)) for x in d['Deleted'])
assert got == sorted([(dm['VersionId'], True), (ids[2], False)]), d
assert s3.get_object(Bucket='boto-v', Key='k')['Body'].read() == b'v1'
s3.put_bucket_versioning(Bucket='boto-v', VersioningConfiguration={'Status': 'Suspended'})
r = s3.put_object(Bucket='boto-v', Key='k', Body=b'suspended')
assert 'VersionId' not in r, r
v = s3.list_object_versions(Bucket='boto-v')['Versions']
assert [(x['VersionId'], x['IsLatest']) for x in v] == [('null', True), (ids[1], False), (ids[0], False)], v
try:
    s3.put_bucket_versioning(Bucket='boto-v', VersioningConfiguration={'Status': 'Off'}); raise SystemExit('bad status taken')
except ClientError as e:
    assert e.response['Error']['Code'] == 'IllegalVersioningConfigurationException', e.response
print('ok')
`
    const out = await run('python3', ['-c', script, fx.server.url], { env: fx.env(), timeout: 60_000 })
    expect(out.stdout.trim()).toBe('ok')
  }, 90_000)

  it('keyhold-s3 version and ls --versions list every version and marker, numbered from the oldest', async () => {
    const s3 = fx.client()
    await s3.send(new CreateBucketCommand({ Bucket: 'cli-v' }))
    expect((await cli(['alias', 'set', 'local', fx.server.url, ROOT_USER, ROOT_PASSWORD, '--insecure'])).code).toBe(0)
    expect((await cli(['version', 'info', 'local/cli-v', '--insecure'])).out).toBe('local/cli-v is un-versioned\n')
    expect((await cli(['version', 'enable', 'local/cli-v', '--insecure'])).out).toBe('local/cli-v versioning is enabled\n')
    expect((await cli(['version', 'info', 'local/cli-v', '--insecure'])).out).toBe('local/cli-v versioning is enabled\n')
    const a = await s3.send(new PutObjectCommand({ Bucket: 'cli-v', Key: 'dir/a & b.txt', Body: 'first' }))
    await new Promise((r) => setTimeout(r, 5))
    const b = await s3.send(new PutObjectCommand({ Bucket: 'cli-v', Key: 'dir/a & b.txt', Body: 'second!' }))
    await s3.send(new PutObjectCommand({ Bucket: 'cli-v', Key: 'other', Body: 'x' }))
    const listed = await cli(['ls', '--versions', 'local/cli-v/dir/', '--insecure'])
    expect(listed.code).toBe(0)
    const lines = listed.out.trim().split('\n')
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatch(new RegExp(`^\\[\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d UTC\\]\\s+7B STANDARD ${b.VersionId} v2 PUT dir/a & b\\.txt$`))
    expect(lines[1]).toMatch(new RegExp(`5B STANDARD ${a.VersionId} v1 PUT dir/a & b\\.txt$`))
    await s3.send(new PutObjectCommand({ Bucket: 'cli-v', Key: 'z', Body: 'zz' }))
    const json = await cli(['ls', '--versions', '--json', 'local/cli-v', '--insecure'])
    const entries = json.out.trim().split('\n').map((l) => JSON.parse(l) as { key: string; versionOrdinal: number; isLatest: boolean })
    expect(entries.map((e) => [e.key, e.versionOrdinal, e.isLatest])).toEqual([['dir/a & b.txt', 2, true], ['dir/a & b.txt', 1, false], ['other', 1, true], ['z', 1, true]])
    expect((await cli(['version', 'suspend', 'local/cli-v', '--insecure'])).out).toBe('local/cli-v versioning is suspended\n')
    const missing = await cli(['ls', '--versions', 'local/no-such-bucket', '--insecure'])
    expect(missing.code).toBe(1)
    expect(missing.err).toContain('The specified bucket does not exist')
    expect((await cli(['ls', 'local/cli-v'])).code).toBe(1)
  })
})
