/**
 * Browser form uploads under a presigned POST policy (boto3's generate_presigned_post, the MinIO JS client's
 * presignedPostPolicy): conditions, content-length-range, success_action_status/redirect, and the refusals an
 * attacker tries first (tampered signature, key outside the policy, unsigned metadata, expired policy,
 * anonymous form on a private bucket, a body that is not a form).
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Agent } from 'node:https'
import { promisify } from 'node:util'
import { GetObjectCommand } from '@aws-sdk/client-s3'
import * as Minio from 'minio'
import { describe, expect, it } from 'vitest'
import { parsePostPolicy } from '../../src/s3/auth/post-policy.js'
import { bodyBytes, ROOT_PASSWORD, ROOT_USER, useS3 } from '../helpers/s3.js'

const run = promisify(execFile)
const fx = useS3({ buckets: ['forms'] })

const SCRIPT = `
import boto3, sys, json, time, requests
from botocore.config import Config
url, ca = sys.argv[1], sys.argv[2]
c = boto3.client('s3', endpoint_url=url, verify=ca, config=Config(signature_version='s3v4', s3={'addressing_style': 'path'}))
v2 = boto3.client('s3', endpoint_url=url, verify=ca, config=Config(signature_version='s3', s3={'addressing_style': 'path'}))
def post(p, data=b'0123456789', fields=None, drop=None):
    f = dict(p['fields']); f.update(fields or {})
    for d in drop or []: f.pop(d, None)
    r = requests.post(p['url'], data=f, files={'file': ('hello.txt', data)}, verify=ca, allow_redirects=False)
    code = message = ''
    if '<Code>' in r.text: code = r.text.split('<Code>')[1].split('</Code>')[0]
    if '<Message>' in r.text: message = r.text.split('<Message>')[1].split('</Message>')[0]
    return {'status': r.status_code, 'code': code, 'message': message, 'location': r.headers.get('location', ''), 'body': r.text if r.status_code == 201 else ''}
cond = [{'success_action_status': '201'}, ['content-length-range', 1, 100], ['starts-with', '$key', 'up/']]
p = c.generate_presigned_post('forms', 'up/\${filename}', Fields={'success_action_status': '201'}, Conditions=cond, ExpiresIn=300)
out = {}
out['ok'] = post(p)
out['big'] = post(p, data=b'x' * 101)
out['empty'] = post(p, data=b'')
out['other_key'] = post(p, fields={'key': 'elsewhere/x'})
out['tampered'] = post(p, fields={'x-amz-signature': '0' * 64})
p2 = v2.generate_presigned_post('forms', 'v2/\${filename}', Conditions=[['starts-with', '$key', 'v2/']], ExpiresIn=300)
out['v2_ok'] = post(p2)['status']
out['v2_fields'] = sorted(k for k in p2['fields'] if k in ('AWSAccessKeyId', 'signature', 'x-amz-signature'))
out['v2_tampered'] = post(p2, fields={'signature': 'AAAA' + p2['fields']['signature'][4:]})
out['unsigned_meta'] = post(p, fields={'x-amz-meta-evil': '1'})
out['unsigned_type'] = post(p, fields={'Content-Type': 'text/html'}, data=b'<script>alert(1)</script>')
out['unsigned_redirect'] = post(p, fields={'success_action_redirect': 'https://evil.example/phish'})
out['status_changed'] = post(p, fields={'success_action_status': '200'})
r = c.generate_presigned_post('forms', 'redir.txt', Fields={'success_action_redirect': 'https://example.invalid/done?x=1'},
    Conditions=[{'success_action_redirect': 'https://example.invalid/done?x=1'}], ExpiresIn=300)
out['redirect'] = post(r)
e = c.generate_presigned_post('forms', 'late.txt', ExpiresIn=1)
time.sleep(2)
out['expired'] = post(e)
anon = requests.post(url + '/forms', data={'key': 'anon.txt'}, files={'file': ('a', b'a')}, verify=ca)
out['anonymous'] = anon.status_code
nofile = requests.post(url + '/forms', data={'key': 'x'}, verify=ca, headers={'content-type': 'multipart/form-data; boundary=zzz'})
out['not_a_form'] = nofile.status_code
out['no_signature'] = post(p, drop=['x-amz-signature'])
import hashlib, base64
good = base64.b64encode(hashlib.sha256(b'0123456789').digest()).decode()
out['checksum_good'] = post(p, fields={'x-amz-checksum-sha256': good})['status']
out['checksum_bad'] = post(p, fields={'x-amz-checksum-sha256': base64.b64encode(b'x' * 32).decode()})
out['key_from_filename'] = post(c.generate_presigned_post('forms', '\${filename}', Conditions=[['starts-with', '$key', 'hello']], ExpiresIn=300))['status']
tagging = '<Tagging><TagSet><Tag><Key>team</Key><Value>blue</Value></Tag></TagSet></Tagging>'
t = c.generate_presigned_post('forms', 'tagged.txt', Fields={'tagging': tagging}, Conditions=[{'tagging': tagging}], ExpiresIn=300)
out['tagged'] = post(t)['status']
out['tags'] = c.get_object_tagging(Bucket='forms', Key='tagged.txt')['TagSet']
bad = c.generate_presigned_post('forms', 'badtag.txt', Fields={'tagging': '<Tagging><TagSet'}, Conditions=[{'tagging': '<Tagging><TagSet'}], ExpiresIn=300)
out['bad_tagging'] = post(bad)
print(json.dumps(out))
`

describe('presigned POST policy', () => {
  it('boto3 generate_presigned_post: upload, conditions, limits and every refusal', async () => {
    const { stdout } = await run('python3', ['-c', SCRIPT, fx.server.url, fx.pki.ca.certFile], { env: fx.env(), timeout: 120_000 })
    const out = JSON.parse(stdout) as Record<string, { status: number; code: string; location: string; body: string } | number>
    const ok = out.ok as { status: number; body: string }
    expect(ok.status).toBe(201)
    expect(ok.body).toContain('<Key>up/hello.txt</Key>')
    expect(ok.body).toMatch(/<ETag>("|&quot;)781e5e245d69b566979b86e28d23f2c7("|&quot;)<\/ETag>/)
    expect((await bodyBytes(fx.client().send(new GetObjectCommand({ Bucket: 'forms', Key: 'up/hello.txt' })))).toString()).toBe('0123456789')
    expect(out.big).toMatchObject({ status: 400, code: 'EntityTooLarge' })
    expect(out.empty).toMatchObject({ status: 400, code: 'EntityTooSmall' })
    expect(out.other_key).toMatchObject({ status: 403, code: 'AccessDenied' })
    expect(out.tampered).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' })
    expect(out.v2_ok).toBe(204)
    expect(out.v2_fields).toEqual(['AWSAccessKeyId', 'signature'])
    expect(out.v2_tampered).toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' })
    expect(out.unsigned_meta).toMatchObject({ status: 403, code: 'AccessDenied', message: 'Invalid according to Policy: Extra input fields: x-amz-meta-evil' })
    // Every field the policy does not name is refused (AWS's rule), not only metadata: no unsigned content type
    // for a stored page, no open redirect.
    expect(out.unsigned_type).toMatchObject({ status: 403, code: 'AccessDenied', message: 'Invalid according to Policy: Extra input fields: content-type' })
    expect(out.unsigned_redirect).toMatchObject({ status: 403, code: 'AccessDenied', location: '', message: 'Invalid according to Policy: Extra input fields: success_action_redirect' })
    expect(out.status_changed).toMatchObject({ status: 403, code: 'AccessDenied' })
    const redirect = out.redirect as { status: number; location: string }
    expect(redirect.status).toBe(303)
    expect(redirect.location).toMatch(/^https:\/\/example\.invalid\/done\?x=1&bucket=forms&key=redir\.txt&etag=%22[0-9a-f]{32}%22$/)
    expect(out.expired).toMatchObject({ status: 403, code: 'AccessDenied' })
    expect(out.anonymous).toBe(403)
    expect(out.not_a_form).toBe(400)
    expect(out.checksum_good).toBe(201)
    expect(out.checksum_bad).toMatchObject({ status: 400 })
    expect(out.no_signature).toMatchObject({ status: 400, code: 'MissingFields' })
    // Conditions on the key hold for the key as stored, after \${filename}.
    expect(out.key_from_filename).toBe(204)
    // The form's tagging field is a Tagging document: kept as the object's tags, refused when malformed.
    expect(out.tagged).toBe(204)
    expect(out.tags).toEqual([{ Key: 'team', Value: 'blue' }])
    expect(out.bad_tagging).toMatchObject({ status: 400, code: 'MalformedXML' })
  })

  it('MinIO JS client presignedPostPolicy: the form it signs uploads', async () => {
    const url = new URL(fx.server.url)
    const mc = new Minio.Client({
      endPoint: url.hostname, port: Number(url.port), useSSL: true, accessKey: ROOT_USER, secretKey: ROOT_PASSWORD,
      transportAgent: new Agent({ ca: fx.pki.ca.certPem }), region: 'us-east-1',
    })
    const policy = mc.newPostPolicy()
    policy.setBucket('forms')
    policy.setKey('js/form.bin')
    policy.setExpires(new Date(Date.now() + 60_000))
    policy.setContentLengthRange(1, 1024)
    policy.setContentType('application/x-test')
    const { postURL, formData } = await mc.presignedPostPolicy(policy)
    const form = new FormData()
    for (const [k, v] of Object.entries(formData)) form.append(k, v)
    form.append('file', new Blob([Buffer.from('from minio-js')]), 'form.bin')
    const { stdout } = await run('python3', ['-c', `
import sys, json, requests
fields = json.loads(sys.argv[3])
r = requests.post(sys.argv[1], data=fields, files={'file': ('form.bin', b'from minio-js', 'application/x-test')}, verify=sys.argv[2])
print(r.status_code)
`, postURL, fx.pki.ca.certFile, JSON.stringify(formData)], { env: fx.env(), timeout: 60_000 })
    expect(stdout.trim()).toBe('204')
    const got = await fx.client().send(new GetObjectCommand({ Bucket: 'forms', Key: 'js/form.bin' }))
    expect(got.ContentType).toBe('application/x-test')
    expect(Buffer.from(await got.Body!.transformToByteArray()).toString()).toBe('from minio-js')
  })
})

describe('POST policy documents', () => {
  it('refuses an expiration that is not ISO 8601 UTC, an empty condition, and unknown operators', () => {
    const b64 = (doc: unknown): string => Buffer.from(JSON.stringify(doc)).toString('base64')
    const later = new Date(Date.now() + 60_000)
    expect(parsePostPolicy(b64({ expiration: later.toISOString(), conditions: [['starts-with', '$key', 'a']] })).conditions).toEqual([{ op: 'starts-with', field: 'key', value: 'a' }])
    for (const bad of [
      { expiration: later.toISOString().replace('T', ' '), conditions: [] },
      { expiration: later.toISOString(), conditions: [{}] },
      { expiration: later.toISOString(), conditions: [['matches', '$key', 'a']] },
      { expiration: later.toISOString(), conditions: [['content-length-range', 'x', 1]] },
    ]) expect(() => parsePostPolicy(b64(bad))).toThrow(/not well-formed multipart/)
    expect(() => parsePostPolicy('%%%')).toThrow(/not well-formed multipart/)
  })
})

describe('malformed browser forms', () => {
  /** curl POSTs `body` as multipart/form-data with boundary x; resolves with the status and the error code. */
  async function post(body: Buffer): Promise<{ status: number; code: string | undefined }> {
    const file = join(mkdtempSync(join(tmpdir(), 'keyhold-form-')), 'body')
    writeFileSync(file, body)
    const { stdout } = await run('curl', ['-s', '--max-time', '20', '--cacert', fx.pki.ca.certFile, '-X', 'POST', '-H', 'Content-Type: multipart/form-data; boundary=x',
      '--data-binary', `@${file}`, '-w', '\n%{http_code}', `${fx.server.url}/forms`])
    const at = stdout.lastIndexOf('\n')
    return { status: Number(stdout.slice(at + 1)), code: /<Code>([^<]+)<\/Code>/.exec(stdout.slice(0, at))?.[1] }
  }

  it('answers a large malformed or oversized form with its 400, not a cut connection', async () => {
    expect(await post(Buffer.alloc(70_000))).toEqual({ status: 400, code: 'MalformedPOSTRequest' })
    const field = Buffer.concat([Buffer.from('--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n'), Buffer.alloc(1_200_000, 'a')])
    expect(await post(field)).toEqual({ status: 400, code: 'EntityTooLarge' })
  })
})
