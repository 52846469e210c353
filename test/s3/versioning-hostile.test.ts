import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { CreateBucketCommand, GetBucketVersioningCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT_PASSWORD, ROOT_USER, startS3, type S3Fixture } from '../helpers/s3.js'

const run = promisify(execFile)
let fx: S3Fixture
let dir: string

beforeAll(async () => {
  fx = await startS3()
  dir = mkdtempSync(join(tmpdir(), 'keyhold-vhostile-'))
  await fx.client().send(new CreateBucketCommand({ Bucket: 'hvers' }))
  await fx.client().send(new PutObjectCommand({ Bucket: 'hvers', Key: 'x', Body: 'x' }))
})
afterAll(async () => {
  await fx.close()
  rmSync(dir, { recursive: true, force: true })
})

interface Answer { status: number; body: string }

/** curl signs with its own SigV4 (an independent client), or sends anonymously; `body` goes through a file. */
async function curl(method: string, path: string, opts: { body?: string; anonymous?: boolean; headers?: string[] } = {}): Promise<Answer> {
  const args = ['-s', '--cacert', fx.pki.ca.certFile, '-X', method, '-w', '\n%{http_code}', '-H', 'x-amz-content-sha256: UNSIGNED-PAYLOAD']
  if (opts.anonymous !== true) args.push('--aws-sigv4', 'aws:amz:us-east-1:s3', '--user', `${ROOT_USER}:${ROOT_PASSWORD}`)
  for (const h of opts.headers ?? []) args.push('-H', h)
  if (opts.body !== undefined) {
    const file = join(dir, `body-${Math.random().toString(36).slice(2)}`)
    writeFileSync(file, opts.body)
    args.push('--data-binary', `@${file}`)
  }
  const { stdout } = await run('curl', [...args, `${fx.server.url}${path}`], { maxBuffer: 1 << 24, timeout: 30_000 })
  const at = stdout.lastIndexOf('\n')
  return { status: Number(stdout.slice(at + 1)), body: stdout.slice(0, at) }
}

/** strict percent-encodes as SigV4 canonicalizes (encodeURIComponent leaves !'()* alone). */
const strict = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

function expectError(a: Answer, status: number, code: string, message?: string): void {
  expect(a.status, a.body).toBe(status)
  expect(a.body).toContain(`<Code>${code}</Code>`)
  if (message !== undefined) expect(a.body).toContain(`<Message>${message}</Message>`)
}

const laughs = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' +
  Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`).join('') +
  ']><VersioningConfiguration><Status>&lol9;</Status></VersioningConfiguration>'
const external = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><VersioningConfiguration><Status>&xxe;</Status></VersioningConfiguration>'

describe('hostile versioning requests', () => {
  it('PutBucketVersioning: XML bombs, garbage, oversized and nested bodies are 400 MalformedXML; bad states are refused; nothing changes', async () => {
    const bodies: Array<[string, string]> = [
      ['billion laughs', laughs],
      ['external entity', external],
      ['10k-deep nesting', `<VersioningConfiguration>${'<a>'.repeat(10_000)}${'</a>'.repeat(10_000)}</VersioningConfiguration>`],
      ['not XML', '\u0001garbage<<>>'],
      ['wrong root', '<Other><Status>Enabled</Status></Other>'],
      ['nested status', '<VersioningConfiguration><Status><Enabled/></Status></VersioningConfiguration>'],
      ['over 1 MiB', `<VersioningConfiguration><Status>Enabled</Status>${' '.repeat((1 << 20) + 10)}</VersioningConfiguration>`],
    ]
    for (const [name, body] of bodies) {
      const a = await curl('PUT', '/hvers?versioning=', { body })
      expect(a.status, name).toBe(400)
      expect(a.body, name).toContain('<Code>MalformedXML</Code>')
    }
    expectError(await curl('PUT', '/hvers?versioning=', { body: '<VersioningConfiguration><Status>enabled</Status></VersioningConfiguration>' }),
      400, 'IllegalVersioningConfigurationException', 'Versioning configuration specified in the request is invalid. (unsupported Versioning status enabled)')
    expectError(await curl('PUT', '/hvers?versioning=', { body: '<VersioningConfiguration/>' }), 400, 'IllegalVersioningConfigurationException')
    expectError(await curl('PUT', '/hvers?versioning=', { anonymous: true, body: '<VersioningConfiguration><Status>Suspended</Status></VersioningConfiguration>' }), 403, 'AccessDenied')
    expect((await fx.client().send(new GetBucketVersioningCommand({ Bucket: 'hvers' }))).Status).toBeUndefined()
  }, 60_000)

  it('version ids that are no UUID are 400 InvalidArgument wherever they go; a bad DeleteObjects entry deletes nothing', async () => {
    for (const id of ["' OR 1=1 --", 'x'.repeat(10_000), '../../etc', '00000000-0000-4000-8000-00000000000g']) {
      const q = strict(id)
      expectError(await curl('GET', `/hvers/x?versionId=${q}`), 400, 'InvalidArgument', 'Invalid version id specified')
      expectError(await curl('DELETE', `/hvers/x?versionId=${q}`), 400, 'InvalidArgument', 'Invalid version id specified')
      expectError(await curl('PUT', '/hvers/copy', { headers: [`x-amz-copy-source: /hvers/x?versionId=${q}`] }), 400, 'InvalidArgument', 'Invalid version id specified')
    }
    const listed = await curl('GET', `/hvers?key-marker=x&version-id-marker=${strict("' OR 1=1 --")}&versions=`)
    expect(listed.status).toBe(200)
    // Without the key it belongs to, a version-id-marker is refused (AWS).
    expectError(await curl('GET', '/hvers?version-id-marker=abc&versions='), 400, 'InvalidArgument', 'A version-id marker cannot be specified without a key marker.')
    const nested = '<Delete><Object><Key>x</Key></Object><Object><Key>x</Key><VersionId><a>null</a></VersionId></Object></Delete>'
    expectError(await curl('POST', '/hvers?delete=', { body: nested, headers: [`Content-MD5: ${createHash('md5').update(nested).digest('base64')}`] }), 400, 'MalformedXML')
    expect((await fx.client().send(new HeadObjectCommand({ Bucket: 'hvers', Key: 'x' }))).ContentLength).toBe(1)
  }, 60_000)
})
