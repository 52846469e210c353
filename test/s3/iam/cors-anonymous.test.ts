/**
 * CORS and anonymous reads (found by a review): a bucket policy may let anonymous callers read by `aws:SourceIp`,
 * which makes a browser inside that network a credential. With every origin answered for anonymous reads too
 * (MinIO's default), any web page an intranet user opens could read such objects through the user's browser.
 * By default keyhold-s3 answers every origin for signed requests only; an operator who sets
 * MINIO_API_CORS_ALLOW_ORIGIN (even to `*`) lets pages read anonymous answers too.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { CreateBucketCommand, PutBucketPolicyCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT, s3Client, startIamServer, type IamServer } from './helpers.js'

const run = promisify(execFile)
// What a browser inside 127.0.0.0/8 may fetch without credentials.
const POLICY = JSON.stringify({ Version: '2012-10-17', Statement: [{
  Effect: 'Allow', Principal: '*', Action: ['s3:GetObject'], Resource: ['arn:aws:s3:::intranet/*'],
  Condition: { IpAddress: { 'aws:SourceIp': '127.0.0.0/8' } },
}] })

let byDefault: IamServer
let chosen: IamServer
let work: string

beforeAll(async () => {
  byDefault = await startIamServer()
  chosen = await startIamServer({ corsAllowOrigins: ['*'] })
  for (const srv of [byDefault, chosen]) {
    const root = s3Client(srv, ROOT.accessKey, ROOT.secretKey)
    await root.send(new CreateBucketCommand({ Bucket: 'intranet' }))
    await root.send(new PutObjectCommand({ Bucket: 'intranet', Key: 'plan.txt', Body: 'intranet only' }))
    await root.send(new PutBucketPolicyCommand({ Bucket: 'intranet', Policy: POLICY }))
  }
  work = mkdtempSync(join(tmpdir(), 'keyhold-s3-cors-anon-'))
})
afterAll(async () => {
  await byDefault?.close()
  await chosen?.close()
  if (work !== undefined) rmSync(work, { recursive: true, force: true })
})

/** A GET of the intranet object from `origin`, anonymous or signed by the root; its status, body and CORS origin. */
async function get(srv: IamServer, signed: boolean): Promise<{ status: number; body: string; allowOrigin: string | undefined }> {
  const ca = join(work, 'ca.pem')
  writeFileSync(ca, srv.ca)
  const auth = signed ? ['--user', `${ROOT.accessKey}:${ROOT.secretKey}`, '--aws-sigv4', 'aws:amz:us-east-1:s3'] : []
  const out = await run('curl', ['-sS', '-i', '--cacert', ca, ...auth, '-H', 'Origin: https://evil.example', `${srv.url}/intranet/plan.txt`], { timeout: 20_000 })
  const split = out.stdout.indexOf('\r\n\r\n')
  const head = out.stdout.slice(0, split).split('\r\n')
  const allow = head.find((l) => l.toLowerCase().startsWith('access-control-allow-origin:'))
  return { status: Number(head[0]!.split(' ')[1]), body: out.stdout.slice(split + 4), allowOrigin: allow?.slice(allow.indexOf(':') + 1).trim() }
}

describe('CORS on anonymous reads', () => {
  it('attacker: by default a page cannot read what a bucket policy lets the intranet read anonymously', async () => {
    expect(await get(byDefault, false)).toEqual({ status: 200, body: 'intranet only', allowOrigin: undefined })
  })

  it('a signed read from the same origin is answered: the signature, not the network, is the credential', async () => {
    expect((await get(byDefault, true)).allowOrigin).toBe('https://evil.example')
  })

  it('an operator who sets MINIO_API_CORS_ALLOW_ORIGIN (here *) lets pages read anonymous answers too', async () => {
    expect(await get(chosen, false)).toEqual({ status: 200, body: 'intranet only', allowOrigin: 'https://evil.example' })
  })
})
