/**
 * Keys are byte strings: keys made of spaces, XML specials, CR/LF and other unusual characters survive
 * DeleteObjects, listings (plain and encoding-type=url), CopySource and multipart, with the AWS SDK and boto3.
 * And request XML decodes numeric character references once (Go writes an ETag's quotes as `&#34;`).
 */
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import {
  CompleteMultipartUploadCommand, CopyObjectCommand, CreateMultipartUploadCommand, DeleteObjectsCommand,
  ListObjectsV2Command, PutObjectCommand, UploadPartCopyCommand,
} from '@aws-sdk/client-s3'
import { describe, expect, it } from 'vitest'
import { parseXml } from '../../src/s3/api/xml.js'
import { useS3 } from '../helpers/s3.js'

const run = promisify(execFile)
const fx = useS3({ buckets: ['odd-sdk', 'odd-boto'] })
const ODD = ['   ', ' lead', 'trail ', '<&>"\'', 'line\nfeed', 'cr\rret', 'tab\tkey', 'pct%41', 'plus+sign', 'ünï/cödé', '_']

describe('unusual key names', () => {
  it('AWS SDK: put, list (url-encoded), copy, multipart copy and DeleteObjects every odd key', async () => {
    const s3 = fx.client()
    for (const Key of ODD) await s3.send(new PutObjectCommand({ Bucket: 'odd-sdk', Key, Body: Key }))
    const raw = await s3.send(new ListObjectsV2Command({ Bucket: 'odd-sdk', EncodingType: 'url' }))
    // Asked for explicitly, the encoding reaches the caller as sent: AWS's percent-encoding, '/' kept.
    expect(raw.Contents!.map((c) => c.Key)).toContain('line%0Afeed')
    expect(raw.Contents!.map((c) => c.Key)).toContain('%C3%BCn%C3%AF/c%C3%B6d%C3%A9')
    expect(raw.Contents!.map((c) => decodeURIComponent(c.Key!)).sort()).toEqual([...ODD].sort())
    await s3.send(new CopyObjectCommand({ Bucket: 'odd-sdk', Key: 'copy of <&>', CopySource: `odd-sdk/${encodeURIComponent('<&>"\'')}` }))
    const up = await s3.send(new CreateMultipartUploadCommand({ Bucket: 'odd-sdk', Key: 'mp \n <x>' }))
    const part = await s3.send(new UploadPartCopyCommand({ Bucket: 'odd-sdk', Key: 'mp \n <x>', UploadId: up.UploadId, PartNumber: 1, CopySource: `odd-sdk/${encodeURIComponent('line\nfeed')}` }))
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: 'odd-sdk', Key: 'mp \n <x>', UploadId: up.UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.CopyPartResult!.ETag }] } }))
    const all = [...ODD, 'copy of <&>', 'mp \n <x>']
    const del = await s3.send(new DeleteObjectsCommand({ Bucket: 'odd-sdk', Delete: { Objects: all.map((Key) => ({ Key })) } }))
    expect(del.Errors ?? []).toEqual([])
    expect(del.Deleted!.map((d) => d.Key).sort()).toEqual([...all].sort())
    const after = await s3.send(new ListObjectsV2Command({ Bucket: 'odd-sdk' }))
    expect(after.KeyCount).toBe(0)
  })

  it('boto3: delete_objects of odd keys, then url-encoded listings show AWS encoding (%0A, %20, %2B)', async () => {
    const script = `
import boto3, sys, json
from botocore.config import Config
c = boto3.client('s3', endpoint_url=sys.argv[1], verify=sys.argv[2], config=Config(s3={'addressing_style': 'path'}))
keys = json.loads(sys.argv[3])
for k in keys: c.put_object(Bucket='odd-boto', Key=k, Body=b'x')
c.put_object(Bucket='odd-boto', Key='a b+c\\nd', Body=b'x')
# With EncodingType given by the caller, boto3 leaves the keys as the server sent them.
raw = c.list_objects_v2(Bucket='odd-boto', EncodingType='url', Prefix='a ')
print(json.dumps([o['Key'] for o in raw['Contents']]))
r = c.delete_objects(Bucket='odd-boto', Delete={'Objects': [{'Key': k} for k in keys + ['a b+c\\nd']]})
print(json.dumps({'deleted': sorted(d['Key'] for d in r.get('Deleted', [])), 'errors': r.get('Errors', [])}))
print(c.list_objects(Bucket='odd-boto').get('Contents', []) == [])
`
    const { stdout } = await run('python3', ['-c', script, fx.server.url, fx.pki.ca.certFile, JSON.stringify(ODD)], { env: fx.env(), timeout: 60_000 })
    const [listed, deleted, empty] = stdout.trim().split('\n')
    expect(JSON.parse(listed!)).toEqual(['a%20b%2Bc%0Ad'])
    const d = JSON.parse(deleted!) as { deleted: string[]; errors: unknown[] }
    expect(d.errors).toEqual([])
    expect(d.deleted).toEqual([...ODD, 'a b+c\nd'].sort())
    expect(empty).toBe('True')
  })
})

describe('request XML entities', () => {
  it('decodes numeric references as Go writes them (&#34; around an ETag), once', () => {
    const doc = parseXml('<CompleteMultipartUpload><Part><PartNumber>1</PartNumber><ETag>&#34;abc&#34;</ETag></Part></CompleteMultipartUpload>', 'CompleteMultipartUpload')
    expect((doc.Part as Array<Record<string, string>>)[0]!.ETag).toBe('"abc"')
    // An attacker's double-escaped reference stays text: one pass only.
    const key = parseXml('<Delete><Object><Key>&amp;#34;&#x41;&lt;</Key></Object></Delete>', 'Delete')
    expect((key.Object as Array<Record<string, string>>)[0]!.Key).toBe('&#34;A<')
  })

  it('a reference past U+10FFFF or an unknown entity is MalformedXML, not a crash', () => {
    expect(() => parseXml('<Delete><Object><Key>&#x110000;</Key></Object></Delete>', 'Delete')).toThrow(/not well-formed/)
    // Without a DTD only XML's five named entities exist (Go's decoder, MinIO's, refuses the others too).
    expect(() => parseXml('<Delete><Object><Key>&nbsp;</Key></Object></Delete>', 'Delete')).toThrow(/not well-formed/)
  })
})
