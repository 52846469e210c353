/**
 * PostObject: the browser form upload of a presigned POST policy (minio-go's PresignedPostPolicy, boto3's
 * generate_presigned_post). The form is signed (SigV4 or SigV2 over the base64 policy) or anonymous; the
 * signer is then authorized for s3:PutObject on the key like any PUT, so IAM and bucket policies apply alike.
 * The object is described by the form's fields alone, as AWS and MinIO describe it: every field must be named
 * by the signed policy, the POST's own object headers are ignored, and the authorization's conditions are
 * the form's values, the ones the write uses.
 *
 * @module
 */
import { createHmac, timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { s3err } from '../api/errors.js'
import { algorithmOfHeader } from '../checksum/checksum.js'
import { BodyCheck } from '../api/body.js'
import { header, sendEmpty, sendXml, type Ctx } from '../api/context.js'
import { authorize, authorizeTagsSet } from '../api/authorize.js'
import { boundaryOf, readPostForm, type PostForm } from '../api/form-data.js'
import { checkPostPolicy, parsePostPolicy, type PostPolicy } from '../auth/post-policy.js'
import { hmac, signingKey } from '../auth/sigv4/canonical.js'
import { lookupCredential } from '../auth/sigv4/credential.js'
import { encodeTags, parseTaggingXml } from '../api/tag-set.js'
import { xmlDocument } from '../api/xml.js'
import { requireBucket, setHeaders, writePlan } from './common.js'
import { storeSinglePart } from './store-object.js'
import { checkKey, metaFromHeaders } from './object-meta.js'
import { MAX_PUT_SIZE } from './put.js'

// Form fields that act as the request headers of a PUT (metadata, content headers, SSE, tags).
const HEADER_FIELDS = /^(?:content-type|content-encoding|content-disposition|content-language|cache-control|expires|x-amz-meta-.+|x-amz-server-side-encryption.*|x-amz-storage-class|x-amz-tagging)$/

// Request headers a PUT reads as describing the object it writes: content headers, metadata, tags, storage
// class, SSE and its keys, checksums, ACL, object lock. On a POST the real ones describe the multipart body or
// are the sender's own, which no policy signed: AWS and MinIO describe the object by the form's fields alone.
const OBJECT_HEADERS = /^(?:x-amz-.*|content-(?:type|encoding|disposition|language|md5)|cache-control|expires)$/

function same(a: string, b: string): boolean {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return x.length === y.length && timingSafeEqual(x, y)
}

/**
 * signerOf verifies the form's signature over its policy, checks the policy against the form (conditions on
 * `values`, every field of `fields` named) and returns the signer's principal and the policy (null and none for
 * an anonymous form). Throws S3Error InvalidAccessKeyId, SignatureDoesNotMatch, AccessDenied (policy),
 * MalformedPOSTRequest.
 */
async function signerOf(
  ctx: Ctx, fields: ReadonlyMap<string, string>, values: ReadonlyMap<string, string>,
): Promise<{ principal: Ctx['principal']; policy?: PostPolicy }> {
  const policyB64 = fields.get('policy')
  if (policyB64 === undefined) return { principal: null }
  let principal: Ctx['principal']
  const v4 = fields.get('x-amz-algorithm') === 'AWS4-HMAC-SHA256'
  if ((v4 && !fields.has('x-amz-signature')) || (!v4 && fields.has('awsaccesskeyid') && !fields.has('signature'))) {
    throw s3err('MissingFields')
  }
  if (v4) {
    const parts = (fields.get('x-amz-credential') ?? '').split('/')
    if (parts.length !== 5 || parts[3] !== 's3' || parts[4] !== 'aws4_request') throw s3err('AuthorizationQueryParametersError')
    const [accessKey, date, region] = parts as [string, string, string]
    const credential = await lookupCredential(ctx.core.credentials, accessKey)
    const want = hmac(signingKey(credential.secretKey, date, region, 's3'), policyB64).toString('hex')
    if (!same(want, fields.get('x-amz-signature') ?? '')) throw s3err('SignatureDoesNotMatch')
    principal = credential.principal
  } else if (fields.has('awsaccesskeyid')) {
    const credential = await lookupCredential(ctx.core.credentials, fields.get('awsaccesskeyid')!)
    const want = createHmac('sha1', credential.secretKey).update(policyB64).digest('base64')
    if (!same(want, fields.get('signature') ?? '')) throw s3err('SignatureDoesNotMatch')
    principal = credential.principal
  } else {
    throw s3err('AccessDenied')
  }
  const policy = parsePostPolicy(policyB64)
  checkPostPolicy(policy, values, fields.keys())
  return { principal, policy }
}

/** postObject serves a browser form upload; throws S3Error as a PUT does, plus the form's and policy's refusals. */
export async function postObject(ctx: Ctx): Promise<void> {
  const bucket = requireBucket(ctx)
  const form: PostForm = await readPostForm(ctx.req, boundaryOf(header(ctx.req, 'content-type')))
  try {
    await store(ctx, bucket, form)
  } finally {
    form.file.resume()
  }
}

/**
 * formKey is the key the form stores, `${filename}` replaced by the file's name. Throws S3Error InvalidArgument
 * (no or empty key), KeyTooLongError, InvalidObjectName.
 */
function formKey(form: PostForm): string {
  const rawKey = form.fields.get('key')
  if (rawKey === undefined) throw s3err('InvalidArgument', 'Bucket POST must contain a field named \'key\'.  If it is specified, please check the order of the fields.', { ArgumentName: 'key' })
  const key = rawKey.replace(/\$\{filename\}/g, form.fileName)
  if (key === '') throw s3err('InvalidArgument', 'User key must have a length greater than 0.', { ArgumentName: 'key' })
  checkKey(key)
  return key
}

/**
 * describeByForm makes the request's headers say what the form says about the object and nothing else: the
 * real headers of that kind are dropped, the form's fields put in their place. The IAM decision (its
 * s3:x-amz-server-side-encryption-aws-kms-key-id, storage class, ... conditions), the metadata and the write
 * plan then all read the same values, the ones the policy checked. Throws S3Error MalformedXML or InvalidTag
 * for a `tagging` field that is not a valid Tagging document.
 */
function describeByForm(req: IncomingMessage, form: PostForm): void {
  for (const name of Object.keys(req.headers)) if (OBJECT_HEADERS.test(name)) delete req.headers[name]
  // A field is text; as a header it stands as its UTF-8 bytes, which is what a header of the same value would
  // have been on the wire (header-text.ts reads it back as the same text).
  for (const [name, value] of form.fields) if (HEADER_FIELDS.test(name)) req.headers[name] = Buffer.from(value, 'utf8').toString('latin1')
  // The file part's own Content-Type is not a field: no policy names it, so it would let whoever fills the form
  // choose the type (text/html under an avatars/ policy: stored XSS). Without a content-type field, none is kept.
  // The form's `tagging` field is a Tagging document, as in AWS's and MinIO's browser uploads; it wins over an
  // `x-amz-tagging` field, and goes in as that header so the s3:RequestObjectTag conditions see these tags.
  const tagging = form.fields.get('tagging')
  if (tagging !== undefined) {
    const tags = parseTaggingXml(Buffer.from(tagging, 'utf8'), true)
    if (tags.length > 0) req.headers['x-amz-tagging'] = encodeTags(tags)
    else delete req.headers['x-amz-tagging']
  }
}

async function store(ctx: Ctx, bucket: string, form: PostForm): Promise<void> {
  const fields = form.fields
  const key = formKey(form)
  // The conditions hold for the request's bucket and for the key as stored, after ${filename} (as AWS and
  // MinIO check them); the fields the client sent are what the policy must name.
  const values = new Map(fields).set('bucket', bucket).set('key', key)
  const { principal, policy } = await signerOf(ctx, fields, values)
  ctx.principal = principal
  ctx.key = key
  describeByForm(ctx.req, form)
  await authorize(ctx, 'PutObject')
  const meta = metaFromHeaders(ctx.req)
  if (meta.tags !== undefined) await authorizeTagsSet(ctx, meta.tags)
  const range = policy?.lengthRange
  const max = Math.min(range?.max ?? MAX_PUT_SIZE, MAX_PUT_SIZE)
  const plan = await writePlan(ctx, 'put-object')
  // A checksum field (x-amz-checksum-sha256, ...) is verified over the file as the header is on a PUT.
  const checksumField = [...fields.keys()].find((n) => algorithmOfHeader(n) !== undefined)
  const check = new BodyCheck(checksumField === undefined ? {} : { checksum: { algorithm: algorithmOfHeader(checksumField)!, value: fields.get(checksumField)! } })
  form.file.on('error', (err) => check.destroy(err))
  // The body may have failed while the policy was being checked: answer that rather than wait on a dead stream.
  if (form.file.destroyed) throw form.file.errored ?? s3err('IncompleteBody')
  // Counted only now: a 'data' listener makes the stream flow, and a file that flowed to its end while the
  // write plan waited on the KMS (SSE-S3) would be gone before the pipe below.
  let seen = 0
  form.file.on('data', (c: Buffer) => {
    seen += c.length
    if (seen > max) form.file.destroy(s3err('EntityTooLarge'))
  })
  const { etag } = await storeSinglePart(ctx, {
    bucket, key, meta,
    accept: (c) => {
      if (range !== undefined && c.size < range.min) throw s3err('EntityTooSmall')
    },
  }, form.file.pipe(check), check, plan)
  setHeaders(ctx, plan?.responseHeaders)
  answer(ctx, bucket, key, `"${etag}"`, fields)
}

/** answer sends the form's requested answer: a 303 redirect, 201 with PostResponse, 200, or 204 (default). */
function answer(ctx: Ctx, bucket: string, key: string, etag: string, fields: Map<string, string>): void {
  const location = `${ctx.secure ? 'https' : 'http'}://${header(ctx.req, 'host') ?? ''}/${bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`
  ctx.res.setHeader('etag', etag)
  ctx.res.setHeader('location', location)
  const redirect = fields.get('success_action_redirect') ?? fields.get('redirect')
  if (redirect !== undefined && /^https?:\/\//i.test(redirect)) {
    const q = new URLSearchParams({ bucket, key, etag }).toString()
    ctx.res.setHeader('location', `${redirect}${redirect.includes('?') ? '&' : '?'}${q}`)
    sendEmpty(ctx, 303)
    return
  }
  const status = fields.get('success_action_status')
  if (status === '201') {
    sendXml(ctx, xmlDocument(['PostResponse', [['Location', location], ['Bucket', bucket], ['Key', key], ['ETag', etag]]], false), 201)
    return
  }
  sendEmpty(ctx, status === '200' ? 200 : 204)
}


