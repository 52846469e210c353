import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { describe, expect, it } from 'vitest'
import { crc32c } from '../../src/s3/checksum/checksum.js'
import { S3Error } from '../../src/s3/api/errors.js'
import { rootCredentials } from '../../src/s3/defaults.js'
import { AwsChunkedDecoder } from '../../src/s3/auth/sigv4/chunked.js'
import { verifySignature, type SigRequest } from '../../src/s3/auth/sigv4/verify.js'

// The worked examples of AWS's SigV4 documentation for S3 (fixed keys, 2013-05-24).
const AKID = 'AKIAIOSFODNN7EXAMPLE'
const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY'
const NOW = Date.UTC(2013, 4, 24, 0, 0, 0)
const opts = { credentials: rootCredentials(AKID, SECRET), region: '', maxSkewMs: 15 * 60_000, now: NOW }
const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'

function getExample(signature: string): SigRequest {
  return {
    method: 'GET', rawPath: '/test.txt', query: [],
    headers: {
      host: 'examplebucket.s3.amazonaws.com', range: 'bytes=0-9', 'x-amz-content-sha256': EMPTY, 'x-amz-date': '20130524T000000Z',
      authorization: `AWS4-HMAC-SHA256 Credential=${AKID}/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=${signature}`,
    },
  }
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p
  } catch (err) {
    return err instanceof S3Error ? err.code : String(err)
  }
  return 'ok'
}

describe('SigV4 verification', () => {
  it('accepts the documented GET example and rejects a changed signature', async () => {
    const good = 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41'
    const signed = await verifySignature(getExample(good), opts)
    expect(signed.credential.accessKey).toBe(AKID)
    expect(await code(verifySignature(getExample(good.replace(/^f/, 'e')), opts))).toBe('SignatureDoesNotMatch')
  })

  it('checks clock skew, region and access key', async () => {
    const good = 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41'
    expect(await code(verifySignature(getExample(good), { ...opts, now: NOW + 16 * 60_000 }))).toBe('RequestTimeTooSkewed')
    expect(await code(verifySignature(getExample(good), { ...opts, region: 'eu-west-1' }))).toBe('AuthorizationHeaderMalformed')
    expect(await code(verifySignature(getExample(good), { ...opts, credentials: rootCredentials('other', SECRET) }))).toBe('InvalidAccessKeyId')
  })

  it('verifies the documented STREAMING-AWS4-HMAC-SHA256-PAYLOAD upload chunk by chunk', async () => {
    const req: SigRequest = {
      method: 'PUT', rawPath: '/examplebucket/chunkObject.txt', query: [],
      headers: {
        host: 's3.amazonaws.com', 'x-amz-date': '20130524T000000Z', 'x-amz-storage-class': 'REDUCED_REDUNDANCY',
        'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'content-encoding': 'aws-chunked',
        'x-amz-decoded-content-length': '66560', 'content-length': '66824',
        authorization: `AWS4-HMAC-SHA256 Credential=${AKID}/20130524/us-east-1/s3/aws4_request,SignedHeaders=content-encoding;content-length;host;x-amz-content-sha256;x-amz-date;x-amz-decoded-content-length;x-amz-storage-class,Signature=4f232c4386841ef735655705268965c44a0e4690baa4adea153f7db9fa80a0a9`,
      },
    }
    const signed = await verifySignature(req, opts)
    const body = (sigs: string[]) => Buffer.concat([
      Buffer.from(`10000;chunk-signature=${sigs[0]}\r\n`), Buffer.alloc(65536, 'a'), Buffer.from('\r\n'),
      Buffer.from(`400;chunk-signature=${sigs[1]}\r\n`), Buffer.alloc(1024, 'a'), Buffer.from('\r\n'),
      Buffer.from(`0;chunk-signature=${sigs[2]}\r\n\r\n`),
    ])
    const sigs = ['ad80c730a21e5b8d04586a2213dd63b9a0e99e0e2307b0ade35a65485a288648',
      '0055627c9e194cb4542bae2aa5492e3c1575bbb81b612b7d234b86a503ef5497',
      'b6c6ea8a5354eaf15b3cb7646744f4275b71ea724fed81ceb9323e279d449df9']
    const decode = async (data: Buffer): Promise<Buffer> => {
      const chunks: Buffer[] = []
      // Feed in odd-sized pieces to exercise line and chunk boundaries.
      const pieces = Array.from({ length: Math.ceil(data.length / 777) }, (_, i) => data.subarray(i * 777, (i + 1) * 777))
      for await (const c of Readable.from(pieces).pipe(new AwsChunkedDecoder({ signed, trailer: false }))) chunks.push(c as Buffer)
      return Buffer.concat(chunks)
    }
    const out = await decode(body(sigs))
    expect(out.length).toBe(66560)
    expect(out.every((b) => b === 0x61)).toBe(true)
    await expect(decode(body([sigs[0]!, sigs[2]!, sigs[1]!]))).rejects.toMatchObject({ code: 'SignatureDoesNotMatch' })
    const truncated = body(sigs).subarray(0, 66000)
    await expect(decode(truncated)).rejects.toMatchObject({ code: 'IncompleteBody' })
  })

  it('decodes unsigned chunks with a checksum trailer', async () => {
    const trailers = new Map<string, string>()
    const data = Buffer.from('5\r\nhello\r\n0\r\nx-amz-checksum-crc32c:mnG7TA==\r\n\r\n')
    const chunks: Buffer[] = []
    for await (const c of Readable.from([data]).pipe(new AwsChunkedDecoder({ trailer: true, onTrailer: (n, v) => trailers.set(n, v) }))) chunks.push(c as Buffer)
    expect(Buffer.concat(chunks).toString()).toBe('hello')
    expect(trailers.get('x-amz-checksum-crc32c')).toBe('mnG7TA==')
  })
})

describe('aws-chunked trailers are bounded', () => {
  const drain = async (source: Iterable<Buffer> | AsyncIterable<Buffer>, trailer: boolean) => {
    for await (const _ of Readable.from(source).pipe(new AwsChunkedDecoder({ trailer }))) void _
  }

  it('a stream of trailer lines is refused after a few, long before it ends (memory stays bounded)', async () => {
    let sent = 0
    async function* endless(): AsyncGenerator<Buffer> {
      yield Buffer.from('5\r\nhello\r\n0\r\n')
      for (let i = 0; i < 100_000; i++) {
        sent++
        yield Buffer.from(`x-amz-meta-pad-${i}:${'a'.repeat(1000)}\r\n`)
      }
    }
    await expect(drain(endless(), true)).rejects.toMatchObject({ code: 'IncompleteBody', message: 'Too many trailers.' })
    expect(sent).toBeLessThan(100)
    // 16 KiB in total, however few the lines.
    const big = Buffer.from(`5\r\nhello\r\n0\r\n${Array.from({ length: 5 }, (_, i) => `x-amz-pad-${i}:${'b'.repeat(4000)}\r\n`).join('')}\r\n`)
    await expect(drain([big], true)).rejects.toMatchObject({ message: 'Too many trailers.' })
  })

  it('what the decoded payload holds on to stays near its own size, however much framing came with it', async () => {
    // 2,000 one-byte chunks, each with a 3,000-byte extension, arriving in one network buffer.
    const framed = Buffer.from(`${Array.from({ length: 2000 }, () => `1;pad=${'x'.repeat(3000)}\r\nA\r\n`).join('')}0\r\n\r\n`)
    // Collected as written downstream (as the body check receives them), not re-read (which would concatenate).
    const out: Buffer[] = []
    await pipeline(Readable.from([framed]), new AwsChunkedDecoder({ trailer: true }), new Writable({
      write(chunk: Buffer, _enc, done) {
        out.push(chunk)
        done()
      },
    }))
    expect(Buffer.concat(out).toString()).toBe('A'.repeat(2000))
    const held = new Set(out.map((b) => b.buffer))
    const heldBytes = [...held].reduce((n, ab) => n + ab.byteLength, 0)
    expect(heldBytes).toBeLessThan(64 * 1024)
    expect(framed.length).toBeGreaterThan(6_000_000)
  })

  it('a body without trailers announced may not send any', async () => {
    const body = Buffer.from('5\r\nhello\r\n0\r\nx-amz-checksum-crc32c:mnG7TA==\r\n\r\n')
    await expect(drain([body], false)).rejects.toMatchObject({ code: 'IncompleteBody', message: 'Unexpected trailer after the final chunk.' })
    await drain([Buffer.from('5\r\nhello\r\n0\r\n\r\n')], false)
  })
})

describe('CRC32C', () => {
  it('matches the standard check value and is incremental', () => {
    expect(crc32c(Buffer.from('123456789'))).toBe(0xe3069283)
    const data = Buffer.from('The quick brown fox jumps over the lazy dog, twice over: the quick brown fox.')
    expect(crc32c(data.subarray(13), crc32c(data.subarray(0, 13)))).toBe(crc32c(data))
    const hello = Buffer.alloc(4)
    hello.writeUInt32BE(crc32c(Buffer.from('hello')))
    expect(hello.toString('base64')).toBe('mnG7TA==')
  })
})
