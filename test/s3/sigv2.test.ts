import { describe, expect, it } from 'vitest'
import { rootCredentials } from '../../src/s3/defaults.js'
import { S3Error } from '../../src/s3/api/errors.js'
import { canonicalAmzHeaders, canonicalResource, MINIO_SUBRESOURCES, SDK_SUBRESOURCES, signV2, stringToSignV2 } from '../../src/s3/auth/sigv2/canonical.js'
import { isAnonymous, verifySignature, type SigRequest } from '../../src/s3/auth/sigv4/verify.js'

// The worked example of AWS's "Signing and authenticating REST requests" (SigV2): a virtual-host GET.
const AKID = 'AKIAIOSFODNN7EXAMPLE'
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
const DATE = 'Tue, 27 Mar 2007 19:36:42 +0000'
const NOW = Date.parse(DATE)
const DOMAIN = 's3.us-west-1.amazonaws.com'
const opts = { credentials: rootCredentials(AKID, SECRET), region: 'us-east-1', maxSkewMs: 15 * 60_000, now: NOW, domain: DOMAIN }

function docExample(authorization = `AWS ${AKID}:qgk2+6Sv9/oM7G3qLEjTH1a1l1g=`, extra: Record<string, string> = {}): SigRequest {
  return {
    method: 'GET', rawPath: '/photos/puppy.jpg', query: [],
    headers: { host: `awsexamplebucket1.${DOMAIN}`, date: DATE, authorization, ...extra },
  }
}

async function failure(p: Promise<unknown>): Promise<{ code: string; status: number; message: string } | 'ok'> {
  try {
    await p
  } catch (err) {
    if (err instanceof S3Error) return { code: err.code, status: err.status, message: err.message }
    throw err
  }
  return 'ok'
}

function presigned(path: string, query: Array<[string, string]>, expires: number, secret = SECRET, list = MINIO_SUBRESOURCES): SigRequest {
  const toSign = stringToSignV2({
    method: 'GET', contentMd5: '', contentType: '', date: String(expires), amzHeaders: '',
    resource: canonicalResource(path, query, list),
  })
  const sig = signV2(secret, toSign).toString('base64')
  return {
    method: 'GET', rawPath: path, headers: { host: '127.0.0.1' },
    query: [...query, ['AWSAccessKeyId', AKID], ['Expires', String(expires)], ['Signature', sig]],
  }
}

describe('SigV2 header authentication', () => {
  it('accepts the documented example (virtual host) as version 2 and rejects a changed signature', async () => {
    const signed = await verifySignature(docExample(), opts)
    expect(signed.version).toBe(2)
    expect(signed.credential.accessKey).toBe(AKID)
    expect(signed.payloadHash).toBe('UNSIGNED-PAYLOAD')
    expect(await failure(verifySignature(docExample(`AWS ${AKID}:qgk2+6Sv9/oM7G3qLEjTH1a1m1g=`), opts))).toMatchObject({
      code: 'SignatureDoesNotMatch', status: 403,
      message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    })
    // Without the virtual-host domain the resource lacks the bucket, so the signature no longer matches.
    expect(await failure(verifySignature(docExample(), { ...opts, domain: undefined }))).toMatchObject({ code: 'SignatureDoesNotMatch' })
  })

  it('answers malformed headers, unknown keys, stale or missing dates as S3 does', async () => {
    expect(await failure(verifySignature(docExample(`AWS ${AKID}`), opts))).toEqual({ code: 'MissingFields', status: 400, message: 'Missing fields in request.' })
    expect(await failure(verifySignature(docExample(`AWS  ${AKID}:x`), opts))).toMatchObject({ code: 'MissingFields' })
    expect(await failure(verifySignature(docExample(), { ...opts, credentials: rootCredentials('other', SECRET) }))).toMatchObject({ code: 'InvalidAccessKeyId', status: 403 })
    expect(await failure(verifySignature(docExample(), { ...opts, now: NOW + 16 * 60_000 }))).toMatchObject({ code: 'RequestTimeTooSkewed', status: 403 })
    const undated = docExample()
    delete undated.headers.date
    expect(await failure(verifySignature(undated, opts))).toMatchObject({ code: 'AccessDenied', message: 'AWS authentication requires a valid Date or x-amz-date header' })
    const streaming = docExample(undefined, { 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD' })
    expect(await failure(verifySignature(streaming, opts))).toMatchObject({ code: 'InvalidRequest' })
  })

  it('signs x-amz-* headers, and takes an empty or a copied Date line when x-amz-date is sent', async () => {
    const headers = { 'x-amz-date': DATE, 'x-amz-meta-b': 'two', 'X-Amz-Meta-A': ' one ' }
    expect(canonicalAmzHeaders({ ...headers, 'content-type': 'text/plain' })).toBe(`x-amz-date:${DATE}\nx-amz-meta-a:one\nx-amz-meta-b:two\n`)
    for (const date of ['', DATE]) {
      const sig = signV2(SECRET, stringToSignV2({
        method: 'GET', contentMd5: '', contentType: '', date, amzHeaders: canonicalAmzHeaders(headers), resource: '/awsexamplebucket1/photos/puppy.jpg',
      })).toString('base64')
      const req = docExample(`AWS ${AKID}:${sig}`, { 'x-amz-date': DATE, 'x-amz-meta-b': 'two', 'x-amz-meta-a': 'one' })
      expect((await verifySignature(req, opts)).version).toBe(2)
      req.headers['x-amz-meta-b'] = 'changed'
      expect(await failure(verifySignature(req, opts))).toMatchObject({ code: 'SignatureDoesNotMatch' })
    }
  })

  it('canonicalizes sub-resources in list order with decoded values, leaving other parameters out', () => {
    const q: Array<[string, string]> = [['uploadId', 'a b'], ['prefix', 'x'], ['partNumber', '2'], ['acl', ''], ['response-content-type', 'text/plain; a=b']]
    expect(canonicalResource('/b/k%20y', q, MINIO_SUBRESOURCES)).toBe('/b/k%20y?acl&partNumber=2&response-content-type=text/plain; a=b&uploadId=a b')
    expect(canonicalResource('/b', [['prefix', 'x']], MINIO_SUBRESOURCES)).toBe('/b')
  })
})

describe('SigV2 presigned URLs', () => {
  const now = Math.floor(NOW / 1000)

  it('accepts a valid URL, refuses expired and tampered ones with S3\'s errors', async () => {
    expect(isAnonymous(presigned('/b/k', [], now + 60))).toBe(false)
    const ok = await verifySignature(presigned('/b/k', [['versionId', 'null']], now + 60), opts)
    expect(ok).toMatchObject({ version: 2, presigned: true })
    expect(await failure(verifySignature(presigned('/b/k', [], now - 1), opts))).toEqual({ code: 'AccessDenied', status: 403, message: 'Request has expired' })
    const tampered = presigned('/b/k', [], now + 60)
    tampered.rawPath = '/b/other'
    expect(await failure(verifySignature(tampered, opts))).toMatchObject({ code: 'SignatureDoesNotMatch', status: 403 })
    const wrongKey = presigned('/b/k', [], now + 60, 'not-the-secret')
    expect(await failure(verifySignature(wrongKey, opts))).toMatchObject({ code: 'SignatureDoesNotMatch' })
  })

  it('a sub-resource only the other client list signs cannot be appended unsigned to change the operation', async () => {
    // Signed by either list as it is; each list's own sub-resources are signed by that list.
    for (const list of [MINIO_SUBRESOURCES, SDK_SUBRESOURCES]) expect(await failure(verifySignature(presigned('/b', [], now + 60, SECRET, list), opts))).toBe('ok')
    expect(await failure(verifySignature(presigned('/b', [['encryption', '']], now + 60, SECRET, MINIO_SUBRESOURCES), opts))).toBe('ok')
    expect(await failure(verifySignature(presigned('/b', [['object-lock', '']], now + 60, SECRET, SDK_SUBRESOURCES), opts))).toBe('ok')
    // Appended after signing: DeleteBucket would become DeleteBucketEncryption, a GET GetObjectRetention.
    for (const [list, added] of [[SDK_SUBRESOURCES, 'encryption'], [SDK_SUBRESOURCES, 'retention'], [SDK_SUBRESOURCES, 'legal-hold'], [MINIO_SUBRESOURCES, 'object-lock']] as const) {
      const url = presigned('/b', [], now + 60, SECRET, list)
      url.query.unshift([added, ''])
      expect(await failure(verifySignature(url, opts)), added).toMatchObject({ code: 'SignatureDoesNotMatch', status: 403 })
    }
  })

  it('a value standing for two pairs, a name given twice, or a sub-resource no list signs is refused', async () => {
    // Signs like response-content-type=text/plain&versionId=v1: the link to v1 must not serve the current version.
    const merged = presigned('/b/k', [['response-content-type', 'text/plain&versionId=v1']], now + 60)
    expect(await failure(verifySignature(merged, opts))).toMatchObject({ code: 'SignatureDoesNotMatch' })
    const twice = presigned('/b/k', [['versionId', 'v1']], now + 60)
    twice.query.unshift(['versionId', 'v0'])
    expect(await failure(verifySignature(twice, opts))).toMatchObject({ code: 'SignatureDoesNotMatch' })
    for (const added of ['policyStatus', 'attributes']) {
      const url = presigned('/b', [], now + 60)
      url.query.unshift([added, ''])
      expect(await failure(verifySignature(url, opts)), added).toMatchObject({ code: 'SignatureDoesNotMatch' })
    }
  })

  it('refuses missing fields and a malformed Expires', async () => {
    const noSig = presigned('/b/k', [], now + 60)
    noSig.query = noSig.query.filter(([k]) => k !== 'Signature')
    expect(await failure(verifySignature(noSig, opts))).toMatchObject({ code: 'AuthorizationQueryParametersError', status: 400 })
    const badExpires = presigned('/b/k', [], now + 60)
    badExpires.query = badExpires.query.map(([k, v]) => [k, k === 'Expires' ? 'soon' : v])
    expect(await failure(verifySignature(badExpires, opts))).toMatchObject({ code: 'AuthorizationQueryParametersError', message: 'X-Amz-Expires should be a number' })
  })
})
