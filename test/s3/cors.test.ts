/**
 * Server-wide CORS as MinIO serves it (MINIO_API_CORS_ALLOW_ORIGIN, default `*`): preflights answered without
 * credentials, actual answers (errors too) readable by an allowed origin, nothing for an origin left out of a
 * narrowed list, and no preflight that opens any data. With curl, and with headless Chromium doing what browser
 * uploaders (Uppy, presigned-URL pages) do.
 */
import { execFile, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3'
import { getSignedUrl } from '@aws-sdk/s3-request-presigner'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ROOT_PASSWORD, ROOT_USER, startS3, type S3Fixture } from '../helpers/s3.js'

const run = promisify(execFile)
const SECRET_BODY = 'the private object: no page may read this without a signature'

let open: S3Fixture
let narrow: S3Fixture
const narrowLog: string[] = []

beforeAll(async () => {
  open = await startS3()
  narrow = await startS3({ corsAllowOrigins: ['https://app.example', 'https://*.trusted.example'], accessLog: (line) => narrowLog.push(line) })
  for (const fx of [open, narrow]) {
    await fx.client().send(new CreateBucketCommand({ Bucket: 'web' }))
    await fx.client().send(new PutObjectCommand({ Bucket: 'web', Key: 'private.txt', Body: SECRET_BODY, ContentType: 'text/plain' }))
  }
})
afterAll(async () => {
  await open?.close()
  await narrow?.close()
})

interface Answer { status: number; headers: Record<string, string>; body: string }

/** curl sends a request to `fx` and returns its status, headers (names lower-cased) and body. */
async function curl(fx: S3Fixture, args: string[], path: string, signed = false): Promise<Answer> {
  const auth = signed ? ['--user', `${ROOT_USER}:${ROOT_PASSWORD}`, '--aws-sigv4', 'aws:amz:us-east-1:s3'] : []
  const out = await run('curl', ['-sS', '-i', '--cacert', fx.pki.ca.certFile, ...auth, ...args, `${fx.server.url}${path}`], { timeout: 20_000 })
  const split = out.stdout.indexOf('\r\n\r\n')
  const [statusLine, ...lines] = out.stdout.slice(0, split).split('\r\n')
  const headers: Record<string, string> = {}
  for (const line of lines) {
    const colon = line.indexOf(':')
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim()
  }
  return { status: Number(statusLine!.split(' ')[1]), headers, body: out.stdout.slice(split + 4) }
}

/** A browser's preflight for `method` with `headers`, from `origin`. */
function preflight(origin: string, method: string, headers?: string): string[] {
  return ['-X', 'OPTIONS', '-H', `Origin: ${origin}`, '-H', `Access-Control-Request-Method: ${method}`,
    ...(headers === undefined ? [] : ['-H', `Access-Control-Request-Headers: ${headers}`])]
}

function corsHeaders(a: Answer): string[] {
  return Object.keys(a.headers).filter((h) => h.startsWith('access-control-'))
}

describe('CORS preflights', () => {
  it('are answered without credentials: the origin, the method and the headers asked for are allowed', async () => {
    const a = await curl(open, preflight('http://app.example', 'PUT', 'content-type,x-amz-date'), '/web/upload.txt')
    expect(a.status).toBe(204)
    expect(a.headers['access-control-allow-origin']).toBe('http://app.example')
    expect(a.headers['access-control-allow-methods']).toBe('PUT')
    expect(a.headers['access-control-allow-headers']?.toLowerCase()).toBe('content-type, x-amz-date')
    expect(a.headers['access-control-allow-credentials']).toBe('true')
    expect(a.headers.vary).toMatch(/Origin/)
    expect(a.body).toBe('')
  })

  it('attacker: a preflight of GET on a private object, or of any method on the bucket, opens no data', async () => {
    for (const path of ['/web/private.txt', '/web', '/web?list-type=2', '/']) {
      const a = await curl(open, preflight('https://evil.example', 'GET'), path)
      expect(a.status).toBe(204)
      expect(a.body).toBe('')
      expect(a.headers['content-length'] ?? '0').toBe('0')
      expect(a.headers.etag).toBeUndefined()
    }
    // The actual request that preflight was for still needs its signature.
    const anonymous = await curl(open, ['-H', 'Origin: https://evil.example'], '/web/private.txt')
    expect(anonymous.status).toBe(403)
    expect(anonymous.body).toContain('<Code>AccessDenied</Code>')
    expect(anonymous.body).not.toContain(SECRET_BODY)
    // An OPTIONS that is no preflight (no Access-Control-Request-Method) is still refused MethodNotAllowed.
    const options = await curl(open, ['-X', 'OPTIONS', '-H', 'Origin: https://evil.example'], '/web/private.txt')
    expect(options.status).toBe(405)
    expect(options.body).not.toContain(SECRET_BODY)
  })

  it('attacker: a method outside the list, or a header name that is not a token, is refused without CORS headers', async () => {
    const trace = await curl(open, preflight('http://app.example', 'TRACE'), '/web/private.txt')
    expect(trace.status).toBe(403)
    expect(corsHeaders(trace)).toEqual([])
    const odd = await curl(open, preflight('http://app.example', 'PUT', 'content-type, bad header'), '/web/x')
    expect(odd.status).toBe(403)
    expect(corsHeaders(odd)).toEqual([])
  })

})

describe('CORS on actual requests', () => {
  it('a signed GET from an allowed origin exposes ETag, Content-Length, x-amz-request-id... and varies on Origin', async () => {
    const a = await curl(open, ['-H', 'Origin: http://app.example'], '/web/private.txt', true)
    expect(a.status).toBe(200)
    expect(a.body).toBe(SECRET_BODY)
    expect(a.headers['access-control-allow-origin']).toBe('http://app.example')
    expect(a.headers['access-control-allow-credentials']).toBe('true')
    const exposed = (a.headers['access-control-expose-headers'] ?? '').split(',').map((h) => h.trim().toLowerCase())
    for (const h of ['etag', 'date', 'content-length', 'content-type', 'last-modified', 'accept-ranges', 'content-range',
      'content-disposition', 'content-encoding', 'cache-control', 'expires', 'x-amz-request-id', 'x-amz-version-id',
      'x-amz-delete-marker', 'x-amz-server-side-encryption', 'x-amz-server-side-encryption-customer-algorithm']) {
      expect(exposed).toContain(h)
    }
    expect(a.headers.vary).toMatch(/Origin/)
    // Without an Origin, none.
    const plain = await curl(open, [], '/web/private.txt', true)
    expect(plain.status).toBe(200)
    expect(corsHeaders(plain)).toEqual([])
  })
})

describe('a narrowed MINIO_API_CORS_ALLOW_ORIGIN', () => {
  it('answers the listed origins and their wildcard', async () => {
    for (const origin of ['https://app.example', 'https://uploads.trusted.example']) {
      const a = await curl(narrow, preflight(origin, 'PUT'), '/web/x')
      expect(a.status).toBe(204)
      expect(a.headers['access-control-allow-origin']).toBe(origin)
      const got = await curl(narrow, ['-H', `Origin: ${origin}`], '/web/private.txt', true)
      expect(got.headers['access-control-allow-origin']).toBe(origin)
    }
    // The access log names preflights as such, not as unknown S3 requests.
    const preflights = narrowLog.map((l) => JSON.parse(l) as { api: string; method: string }).filter((l) => l.method === 'OPTIONS')
    expect(preflights.map((l) => l.api)).toEqual(['preflight', 'preflight'])
  })

  it('attacker: look-alike origins get no CORS headers, on preflights or on signed answers', async () => {
    for (const origin of ['https://evil.example', 'https://app.example.evil.example', 'http://app.example',
      'https://trusted.example', 'https://eviltrusted.example', 'https://x.trusted.example.evil.example', 'null']) {
      const pre = await curl(narrow, preflight(origin, 'PUT'), '/web/x')
      expect(pre.status, origin).toBe(403)
      expect(corsHeaders(pre), origin).toEqual([])
      const got = await curl(narrow, ['-H', `Origin: ${origin}`], '/web/private.txt', true)
      expect(got.status).toBe(200)
      expect(corsHeaders(got), origin).toEqual([])
    }
  })
})

/**
 * browserRun serves `script` in a page on a loopback origin, opens it in headless Chromium and resolves what
 * the page reports (it POSTs its findings back to its own origin).
 */
async function browserRun(script: string): Promise<string> {
  const profile = mkdtempSync(join(tmpdir(), 'keyhold-s3-chromium-'))
  let report: (text: string) => void = () => {}
  const reported = new Promise<string>((resolve) => (report = resolve))
  const page = `<!doctype html><html><body><script>
const results = [];
(async () => {
${script}
})().catch((e) => results.push('page error ' + e)).finally(() => fetch('/report', { method: 'POST', body: results.join('\\n') }))
</script></body></html>`
  const site: Server = createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/report') {
      let text = ''
      req.on('data', (c: Buffer) => (text += c.toString()))
      req.on('end', () => { res.end(); report(text) })
      return
    }
    res.setHeader('content-type', 'text/html')
    res.end(page)
  })
  await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(site.address() as AddressInfo).port}/`
  const browser = spawn('chromium', ['--headless=new', '--no-sandbox', '--disable-gpu', '--ignore-certificate-errors',
    `--user-data-dir=${profile}`, '--no-first-run', url], { stdio: 'ignore', detached: true })
  try {
    return await Promise.race([
      reported,
      new Promise<string>((_, reject) => setTimeout(() => reject(new Error('the page reported nothing within 40 s')), 40_000).unref()),
    ])
  } finally {
    // Chromium's helpers share its process group (it was started detached): end them with it.
    try { process.kill(-browser.pid!, 'SIGKILL') } catch { /* already gone */ }
    site.close()
    rmSync(profile, { recursive: true, force: true })
  }
}

describe.skipIf(!existsSync('/usr/bin/chromium'))('headless Chromium', () => {
  it('a page on another origin PUTs through a presigned URL, reads its ETag, then GETs the object back', async () => {
    const put = await getSignedUrl(open.client(), new PutObjectCommand({ Bucket: 'web', Key: 'browser.txt' }), { expiresIn: 300 })
    const get = await getSignedUrl(open.client(), new GetObjectCommand({ Bucket: 'web', Key: 'browser.txt' }), { expiresIn: 300 })
    const got = await browserRun(`
  const p = await fetch(${JSON.stringify(put)}, { method: 'PUT', body: 'from the browser', headers: { 'content-type': 'text/plain' } })
  results.push('PUT ' + p.status + ' etag=' + p.headers.get('etag'))
  const g = await fetch(${JSON.stringify(get)})
  results.push('GET ' + g.status + ' ' + (await g.text()) + ' length=' + g.headers.get('content-length') + ' id=' + (g.headers.get('x-amz-request-id') !== null))`)
    expect(got).toMatch(/^PUT 200 etag="[0-9a-f]{32}"$/m)
    expect(got).toMatch(/^GET 200 from the browser length=16 id=true$/m)
  }, 60_000)

  it('attacker: a page from an origin left out of a narrowed list cannot read an object, not even with a valid presigned URL', async () => {
    // The same page reads the same object from the server that allows every origin: only the list differs.
    const allowed = await getSignedUrl(open.client(), new GetObjectCommand({ Bucket: 'web', Key: 'private.txt' }), { expiresIn: 300 })
    const refused = await getSignedUrl(narrow.client(), new GetObjectCommand({ Bucket: 'web', Key: 'private.txt' }), { expiresIn: 300 })
    const got = await browserRun(`
  for (const url of [${JSON.stringify(allowed)}, ${JSON.stringify(refused)}]) {
    try { const g = await fetch(url); results.push('GET ' + g.status + ' ' + (await g.text()).length) } catch (e) { results.push('GET refused') }
  }`)
    expect(got).toBe(`GET 200 ${SECRET_BODY.length}\nGET refused`)
  }, 60_000)
})
