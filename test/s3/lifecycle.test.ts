/**
 * Bucket lifecycle configuration over the AWS SDK: stored and read back as MinIO writes it, removed with 204,
 * refused with MinIO's answers (InvalidArgument and its texts, MalformedXML, MissingContentMD5, the 1000-rule
 * limit, an oversized body), and the x-amz-expiration header on PUT, HEAD and GET.
 */
import { createHash } from 'node:crypto'
import {
  DeleteBucketLifecycleCommand, GetBucketLifecycleConfigurationCommand, GetObjectCommand, HeadObjectCommand,
  PutBucketLifecycleConfigurationCommand, PutBucketVersioningCommand, PutObjectCommand, PutObjectTaggingCommand,
  type LifecycleRule, type S3Client,
} from '@aws-sdk/client-s3'
import { describe, expect, it } from 'vitest'
import { s3error, useS3 } from '../helpers/s3.js'

const fx = useS3({ buckets: ['lcfg', 'lc-errors', 'lc-headers', 'lc-versions'] })

const put = (s3: S3Client, Bucket: string, Rules: LifecycleRule[]) =>
  s3.send(new PutBucketLifecycleConfigurationCommand({ Bucket, LifecycleConfiguration: { Rules } }))

/**
 * rawPut sends `xml` as a PutBucketLifecycleConfiguration body, signed, with Content-MD5 unless told not to and
 * without the SDK's own checksum: the way to send what the SDK would not write.
 */
async function rawPut(s3: S3Client, Bucket: string, xml: string, md5 = true): Promise<unknown> {
  const cmd = new PutBucketLifecycleConfigurationCommand({ Bucket, LifecycleConfiguration: { Rules: [] } })
  cmd.middlewareStack.add((next) => async (args) => {
    const req = args.request as { body: unknown; headers: Record<string, string> }
    req.body = xml
    for (const h of Object.keys(req.headers)) {
      if (h.toLowerCase().startsWith('x-amz-checksum-') || h.toLowerCase() === 'x-amz-sdk-checksum-algorithm' || h.toLowerCase() === 'content-md5') delete req.headers[h]
    }
    req.headers['content-length'] = String(Buffer.byteLength(xml))
    if (md5) req.headers['content-md5'] = createHash('md5').update(xml).digest('base64')
    return next(args)
  }, { step: 'build', priority: 'low', name: 'rawLifecycleBody' })
  return s3.send(cmd)
}

const rule = (id: string, extra: Partial<LifecycleRule> = {}): LifecycleRule =>
  ({ ID: id, Status: 'Enabled', Filter: { Prefix: `${id}/` }, Expiration: { Days: 1 }, ...extra })

describe('Put/Get/DeleteBucketLifecycleConfiguration', () => {
  it('stores rules and reads them back as given; GET without one is 404 NoSuchLifecycleConfiguration; DELETE is 204 either way', async () => {
    const s3 = fx.client()
    const missing = await s3error(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'lcfg' })))
    expect([missing.name, missing.$metadata.httpStatusCode, missing.message]).toEqual(['NoSuchLifecycleConfiguration', 404, 'The lifecycle configuration does not exist'])
    expect((await s3.send(new DeleteBucketLifecycleCommand({ Bucket: 'lcfg' }))).$metadata.httpStatusCode).toBe(204)
    const rules: LifecycleRule[] = [
      { ID: 'days', Status: 'Enabled', Filter: { Prefix: ' spaced/' }, Expiration: { Days: 30 } },
      { ID: 'date', Status: 'Disabled', Filter: { Tag: { Key: 'tier', Value: 'cold' } }, Expiration: { Date: new Date('2031-01-01T00:00:00Z') } },
      { ID: 'and', Status: 'Enabled', Filter: { And: { Prefix: 'logs/', Tags: [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }], ObjectSizeGreaterThan: 10 } },
        NoncurrentVersionExpiration: { NoncurrentDays: 7, NewerNoncurrentVersions: 2 } },
      { ID: 'uploads', Status: 'Enabled', Filter: {}, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 3 } },
      { ID: 'markers', Status: 'Enabled', Filter: { Prefix: 'm/' }, Expiration: { ExpiredObjectDeleteMarker: true } },
    ]
    await put(s3, 'lcfg', rules)
    const got = await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'lcfg' }))
    expect(got.Rules).toEqual([
      rules[0], rules[1],
      { ...rules[2], Filter: { And: { ObjectSizeGreaterThan: 10, Prefix: 'logs/', Tags: [{ Key: 'a', Value: '1' }, { Key: 'b', Value: '2' }] } } },
      rules[3], rules[4],
    ])
    // A rule without an ID gets one.
    await put(s3, 'lcfg', [{ Status: 'Enabled', Prefix: 'old-style/', Expiration: { Days: 2 } }])
    const [only] = (await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'lcfg' }))).Rules!
    expect(only!.ID).toMatch(/^[0-9a-f-]{36}$/)
    expect(only!.Prefix).toBe('old-style/')
    await s3.send(new DeleteBucketLifecycleCommand({ Bucket: 'lcfg' }))
    expect((await s3error(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'lcfg' })))).name).toBe('NoSuchLifecycleConfiguration')
    expect((await s3error(s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'no-such-bucket' })))).name).toBe('NoSuchBucket')
  })

  it("refuses bad rules with MinIO's InvalidArgument texts and stores nothing", async () => {
    const s3 = fx.client()
    const refused = async (rules: LifecycleRule[]): Promise<[string, number | undefined, string]> => {
      const err = await s3error(put(s3, 'lc-errors', rules))
      return [err.name, err.$metadata.httpStatusCode, err.message]
    }
    const invalid = (message: string): [string, number, string] => ['InvalidArgument', 400, message]
    expect(await refused([rule('a'.repeat(256))])).toEqual(invalid('ID length is limited to 255 characters'))
    expect(await refused([rule('same'), rule('same')])).toEqual(invalid('Rule ID must be unique. Found same ID for more than one rule'))
    expect(await refused([rule('zero', { Expiration: { Days: 0 } })])).toEqual(invalid('Days must be positive integer when used with Expiration'))
    expect(await refused([rule('st', { Status: 'enabled' as 'Enabled' })])).toEqual(invalid('Status must be set to either Enabled or Disabled'))
    expect(await refused([rule('both', { Expiration: { Days: 1, Date: new Date('2030-01-01T00:00:00Z') } })]))
      .toEqual(invalid('Exactly one of Days (positive integer) or Date (positive ISO 8601 format) should be present inside Expiration.'))
    expect(await refused([rule('noon', { Expiration: { Date: new Date('2030-01-01T12:00:00Z') } })])).toEqual(invalid("'Date' must be at midnight GMT"))
    expect(await refused([rule('marker', { Expiration: { Days: 1, ExpiredObjectDeleteMarker: true } })]))
      .toEqual(invalid('Delete marker cannot be specified with Days or Date in a Lifecycle Expiration Policy'))
    expect(await refused([rule('two', { Filter: { Prefix: 'p', Tag: { Key: 'k', Value: 'v' } } })]))
      .toEqual(invalid('Filter must have exactly one of Prefix, Tag, or And specified'))
    expect(await refused([rule('dup', { Filter: { And: { Tags: [{ Key: 'k', Value: '1' }, { Key: 'k', Value: '2' }] } } })]))
      .toEqual(invalid('Duplicate Tag Keys are not allowed'))
    expect(await refused([rule('noaction', { Expiration: undefined })]))
      .toEqual(invalid('The XML you provided was not well-formed or did not validate against our published schema'))
    expect(await refused([rule('abort', { Expiration: undefined, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 0 } })]))
      .toEqual(invalid("'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer"))
    expect(await refused([rule('tier', { Transitions: [{ Days: 1, StorageClass: 'GLACIER' }] })])).toEqual(['InvalidStorageClass', 400, 'Invalid storage class.'])
    expect(await refused([])).toEqual(invalid('Lifecycle configuration should have at least one rule'))
    const many = Array.from({ length: 1001 }, (_, i) => rule(`r${i}`))
    expect(await refused(many)).toEqual(invalid('Lifecycle configuration allows a maximum of 1000 rules'))
    await put(s3, 'lc-errors', many.slice(0, 1000))
    expect((await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'lc-errors' }))).Rules).toHaveLength(1000)
    // A refused document leaves the stored one as it was.
    await s3error(put(s3, 'lc-errors', [rule('x'), rule('x')]))
    expect((await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'lc-errors' }))).Rules).toHaveLength(1000)
  })

  it('answers malformed, unchecksummed and oversized documents with a precise 400', async () => {
    const s3 = fx.client()
    const answer = async (xml: string, md5 = true): Promise<[string, number | undefined]> => {
      const err = await s3error(rawPut(s3, 'lc-errors', xml, md5))
      return [err.name, err.$metadata.httpStatusCode]
    }
    const ok = '<LifecycleConfiguration><Rule><ID>r</ID><Status>Enabled</Status><Filter/><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>'
    expect(await answer(ok, false)).toEqual(['MissingContentMD5', 400])
    expect(await answer('<LifecycleConfiguration><Rule>')).toEqual(['MalformedXML', 400])
    expect(await answer('<Other/>')).toEqual(['MalformedXML', 400])
    expect(await answer(ok.replace('<Days>1</Days>', '<Days>soon</Days>'))).toEqual(['MalformedXML', 400])
    expect(await answer(ok.replace('<Filter/>', '<Filter><Nope/></Filter>'))).toEqual(['InvalidArgument', 400])
    expect(await answer('<!DOCTYPE x [<!ENTITY a "aaaa">]>' + ok)).toEqual(['MalformedXML', 400])
    expect(await answer('<LifecycleConfiguration>' + '<a>'.repeat(100) + '</a>'.repeat(100) + '</LifecycleConfiguration>')).toEqual(['MalformedXML', 400])
    const huge = ok.replace('<ID>r</ID>', `<ID>${'x'.repeat(3 * 1024 * 1024)}</ID>`)
    expect(await answer(huge)).toEqual(['EntityTooLarge', 400])
    // The old root name, BucketLifecycleConfiguration, is read too.
    await rawPut(s3, 'lc-errors', ok.replace(/LifecycleConfiguration/g, 'BucketLifecycleConfiguration'))
    expect((await s3.send(new GetBucketLifecycleConfigurationCommand({ Bucket: 'lc-errors' }))).Rules!.map((r) => r.ID)).toEqual(['r'])
  })
})

describe('x-amz-expiration', () => {
  const expiryOf = (header: string | undefined): [number, string] | undefined => {
    const m = /^expiry-date="(.+)", rule-id="(.+)"$/.exec(header ?? '')
    return m === null ? undefined : [Date.parse(m[1]!), m[2]!]
  }

  it('names the rule and the midnight UTC an object expires at, on PUT, HEAD and GET, when a rule applies', async () => {
    const s3 = fx.client()
    await put(s3, 'lc-headers', [
      rule('days1', { Filter: { Prefix: 'days1/' }, Expiration: { Days: 1 } }),
      rule('tagged', { Filter: { Tag: { Key: 'key1', Value: 'tag1' } }, Expiration: { Days: 3 } }),
      rule('dated', { Filter: { Prefix: 'dated/' }, Expiration: { Date: new Date('2040-01-01T00:00:00Z') } }),
    ])
    const sent: Record<string, string>[] = []
    s3.middlewareStack.add((next) => async (args) => {
      const out = await next(args)
      sent.push((out.response as { headers: Record<string, string> }).headers)
      return out
    }, { step: 'deserialize', name: 'recordHeaders' })
    const before = Date.now()
    await s3.send(new PutObjectCommand({ Bucket: 'lc-headers', Key: 'days1/foo', Body: 'bar' }))
    const onPut = expiryOf(sent.at(-1)!['x-amz-expiration'])!
    expect(onPut[1]).toBe('days1')
    // Two midnights ahead at most, one whole day at least: MinIO's ExpectedExpiryTime.
    expect(onPut[0] % 86_400_000).toBe(0)
    expect(onPut[0] - before).toBeGreaterThan(86_400_000 - 1000)
    expect(onPut[0] - before).toBeLessThanOrEqual(2 * 86_400_000)
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'lc-headers', Key: 'days1/foo' }))
    expect(expiryOf(head.Expiration)).toEqual(onPut)
    await s3.send(new GetObjectCommand({ Bucket: 'lc-headers', Key: 'dated/x' })).catch(() => undefined)
    await s3.send(new PutObjectCommand({ Bucket: 'lc-headers', Key: 'dated/x', Body: 'x' }))
    const got = await s3.send(new GetObjectCommand({ Bucket: 'lc-headers', Key: 'dated/x' }))
    expect(expiryOf(got.Expiration)).toEqual([Date.parse('2040-01-01T00:00:00Z'), 'dated'])

    // A tag filter: only once the object carries the tag.
    await s3.send(new PutObjectCommand({ Bucket: 'lc-headers', Key: 'obj_key1', Body: 'x' }))
    expect((await s3.send(new HeadObjectCommand({ Bucket: 'lc-headers', Key: 'obj_key1' }))).Expiration).toBeUndefined()
    await s3.send(new PutObjectTaggingCommand({ Bucket: 'lc-headers', Key: 'obj_key1', Tagging: { TagSet: [{ Key: 'key1', Value: 'tag1' }, { Key: 'key5', Value: 'tag5' }] } }))
    expect(expiryOf((await s3.send(new HeadObjectCommand({ Bucket: 'lc-headers', Key: 'obj_key1' }))).Expiration)?.[1]).toBe('tagged')
    // An And of tags the object does not all carry: no header.
    await put(s3, 'lc-headers', [rule('and', { Filter: { And: { Tags: [{ Key: 'key1', Value: 'tag1' }, { Key: 'key5', Value: 'tag6' }] } } })])
    expect((await s3.send(new HeadObjectCommand({ Bucket: 'lc-headers', Key: 'obj_key1' }))).Expiration).toBeUndefined()
    await s3.send(new DeleteBucketLifecycleCommand({ Bucket: 'lc-headers' }))
    expect((await s3.send(new HeadObjectCommand({ Bucket: 'lc-headers', Key: 'days1/foo' }))).Expiration).toBeUndefined()
  })

  it('on a noncurrent version, names its NoncurrentVersionExpiration, counted from when it was replaced', async () => {
    const s3 = fx.client()
    await s3.send(new PutBucketVersioningCommand({ Bucket: 'lc-versions', VersioningConfiguration: { Status: 'Enabled' } }))
    const v1 = (await s3.send(new PutObjectCommand({ Bucket: 'lc-versions', Key: 'k', Body: '1' }))).VersionId
    await s3.send(new PutObjectCommand({ Bucket: 'lc-versions', Key: 'k', Body: '2' }))
    await put(s3, 'lc-versions', [{ ID: 'old', Status: 'Enabled', Filter: {}, NoncurrentVersionExpiration: { NoncurrentDays: 2 } }])
    const old = await s3.send(new HeadObjectCommand({ Bucket: 'lc-versions', Key: 'k', VersionId: v1 }))
    expect(expiryOf(old.Expiration)?.[1]).toBe('old')
    expect((await s3.send(new HeadObjectCommand({ Bucket: 'lc-versions', Key: 'k' }))).Expiration).toBeUndefined()
  })
})
