/**
 * SigV4 canonical request pieces (AWS "Create a canonical request"): URI and query encoding, canonical
 * headers, the string to sign and the signing key.
 *
 * @module
 */
import { createHash, createHmac } from 'node:crypto'
import type { IncomingHttpHeaders } from 'node:http'
import { s3err } from '../../api/errors.js'
import { headerText } from '../header-text.js'

/** awsEncode percent-encodes everything but RFC 3986 unreserved characters (and '/' when keepSlash). */
export function awsEncode(value: string, keepSlash = false): string {
  let out = ''
  for (const byte of Buffer.from(value, 'utf8')) {
    const c = String.fromCharCode(byte)
    if (/[A-Za-z0-9\-._~]/.test(c) || (keepSlash && c === '/')) out += c
    else out += '%' + byte.toString(16).toUpperCase().padStart(2, '0')
  }
  return out
}

/** safeDecode decodes a percent-encoded string; throws S3Error InvalidArgument on malformed escapes. */
export function safeDecode(value: string, plusIsSpace = false): string {
  try {
    return decodeURIComponent(plusIsSpace ? value.replace(/\+/g, ' ') : value)
  } catch {
    throw s3err('InvalidArgument', 'Invalid URI encoding.')
  }
}

/** parseQuery splits a raw query string into decoded [name, value] pairs; throws S3Error on bad escapes. */
export function parseQuery(raw: string): Array<[string, string]> {
  if (raw === '') return []
  return raw.split('&').filter((p) => p !== '').map((part) => {
    const eq = part.indexOf('=')
    const k = eq < 0 ? part : part.slice(0, eq)
    const v = eq < 0 ? '' : part.slice(eq + 1)
    return [safeDecode(k, true), safeDecode(v, true)]
  })
}

/** canonicalQuery renders decoded pairs as SigV4's canonical query string, leaving out `exclude`. */
export function canonicalQuery(pairs: Array<[string, string]>, exclude?: string): string {
  return pairs
    .filter(([k]) => k !== exclude)
    .map(([k, v]) => [awsEncode(k), awsEncode(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&')
}

/**
 * canonicalHeaders renders the signed headers' names and trimmed values; a missing signed header is ''.
 * Non-ASCII values are read as the UTF-8 the client sent and signed ({@link headerText}).
 */
export function canonicalHeaders(headers: IncomingHttpHeaders, signed: string[]): string {
  return signed.map((name) => {
    const raw = headers[name]
    const value = Array.isArray(raw) ? raw.join(',') : (raw ?? '')
    return `${name}:${headerText(value).trim().replace(/\s+/g, ' ')}\n`
  }).join('')
}

/** sha256Hex hashes a string or buffer. */
export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

/** hmac computes HMAC-SHA256. */
export function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data).digest()
}

/** signingKey derives the SigV4 signing key for a secret and a scope (date/region/service). */
export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac('AWS4' + secret, date), region), service), 'aws4_request')
}

/** canonicalRequest assembles the canonical request string. */
export function canonicalRequest(
  method: string, uri: string, query: string, headers: string, signed: string[], payloadHash: string,
): string {
  return [method, uri, query, headers, signed.join(';'), payloadHash].join('\n')
}

/** stringToSign assembles the SigV4 string to sign. */
export function stringToSign(amzDate: string, scope: string, canonical: string): string {
  return ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonical)].join('\n')
}
