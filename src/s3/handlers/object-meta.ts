/**
 * Object metadata from and to HTTP headers: content headers, x-amz-meta-* user metadata (2 KiB limit, as S3),
 * key length rules, and the headers a GET/HEAD answers with.
 *
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http'
import { s3err } from '../api/errors.js'
import { header } from '../api/context.js'
import type { ObjectMeta, ObjectRow } from '../storage/meta.js'
import { encodeTags, parseTaggingHeader } from '../api/tag-set.js'
import { headerText, wireHeaderValue } from '../auth/header-text.js'

const CONTENT_HEADERS = ['content-encoding', 'content-disposition', 'content-language', 'cache-control', 'expires']
const MAX_USER_META = 2048
const MAX_KEY_BYTES = 1024

/** checkKey enforces S3's key rules; throws S3Error KeyTooLongError / InvalidObjectName. */
export function checkKey(key: string): void {
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) throw s3err('KeyTooLongError')
  // Lone surrogates cannot be stored as UTF-8 and would alias other keys.
  if (/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(key)) throw s3err('InvalidObjectName')
  // MinIO refuses what a path would read as another key (its hasBadPathComponent, `//`, a leading slash).
  // Policies match resources as cleaned paths, so `secret/../report.txt` or `shared//report.txt` would be
  // granted by a statement naming `shared/report.txt` exactly, while being another object.
  // NUL cannot be written in an XML listing (XML 1.0 has no such character): a strict client (Go's encoding/xml)
  // would fail on every listing of the bucket that shows it. MinIO refuses it too.
  if (key.includes('\0')) throw s3err('InvalidObjectName')
  if (key.startsWith('/')) throw s3err('InvalidObjectName', 'Object name contains a leading slash.')
  if (key.includes('//') || key.split('/').some((part) => part.trim() === '.' || part.trim() === '..')) throw s3err('InvalidObjectName')
}

/**
 * storedContentEncoding drops `aws-chunked`, which only describes the upload's framing (S3 does the same), so
 * a streaming-signed upload does not come back with `Content-Encoding: aws-chunked`.
 */
export function storedContentEncoding(value: string | undefined): string | undefined {
  if (value === undefined) return undefined
  // The other codings keep their spelling (`deflate, gzip` stays so), as MinIO only drops the aws-chunked token.
  const kept = value.split(',').filter((t) => t.trim() !== '' && t.trim().toLowerCase() !== 'aws-chunked')
  const joined = kept.join(',').trim()
  return joined === '' ? undefined : joined
}

/**
 * metaFromHeaders reads content headers, user metadata and x-amz-tagging of a write, non-ASCII values as the
 * UTF-8 text the client sent; throws S3Error MetadataTooLarge, InvalidStorageClass, InvalidTag.
 */
export function metaFromHeaders(req: IncomingMessage): ObjectMeta {
  const headers: Record<string, string> = {}
  for (const name of CONTENT_HEADERS) {
    const v = name === 'content-encoding' ? storedContentEncoding(header(req, name)) : header(req, name)
    if (v !== undefined) headers[name] = headerText(v)
  }
  const storage = header(req, 'x-amz-storage-class')
  if (storage !== undefined && storage !== 'STANDARD' && storage !== 'REDUCED_REDUNDANCY') throw s3err('InvalidStorageClass')
  // Kept (and answered on GET/HEAD and in listings) only when not the default, as MinIO does.
  if (storage === 'REDUCED_REDUNDANCY') headers['x-amz-storage-class'] = storage
  const user: Record<string, string> = {}
  let size = 0
  for (const [name, raw] of Object.entries(req.headers)) {
    if (!name.startsWith('x-amz-meta-')) continue
    const value = headerText(Array.isArray(raw) ? raw.join(',') : (raw ?? ''))
    user[name.slice(11)] = value
    size += name.length - 11 + Buffer.byteLength(value)
  }
  if (size > MAX_USER_META) throw s3err('MetadataTooLarge')
  const rawType = header(req, 'content-type')
  const contentType = rawType === undefined ? undefined : headerText(rawType)
  const tagging = header(req, 'x-amz-tagging')
  const tags = tagging === undefined ? [] : parseTaggingHeader(tagging)
  return { contentType, headers, user, ...(tags.length > 0 ? { tags: encodeTags(tags) } : {}) }
}

const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'content-type',
  'response-content-language': 'content-language',
  'response-expires': 'expires',
  'response-cache-control': 'cache-control',
  'response-content-disposition': 'content-disposition',
  'response-content-encoding': 'content-encoding',
}

/**
 * setObjectHeaders writes an object's headers on a GET/HEAD response, with response-* query overrides; `etag` is
 * the ETag the client sees (a sealed stored ETag is never sent).
 */
export function setObjectHeaders(res: ServerResponse, obj: ObjectRow, query: Map<string, string>, etag = obj.etag): void {
  res.setHeader('etag', `"${etag}"`)
  res.setHeader('last-modified', new Date(obj.mtime).toUTCString())
  res.setHeader('accept-ranges', 'bytes')
  res.setHeader('content-type', wireHeaderValue(obj.meta.contentType ?? 'binary/octet-stream'))
  for (const [name, value] of Object.entries(obj.meta.headers)) res.setHeader(name, wireHeaderValue(value))
  for (const [name, value] of Object.entries(obj.meta.user)) res.setHeader(`x-amz-meta-${name}`, wireHeaderValue(value))
  if (obj.meta.tags !== undefined) res.setHeader('x-amz-tagging-count', String(obj.meta.tags.split('&').length))
  for (const [q, h] of Object.entries(RESPONSE_OVERRIDES)) {
    const v = query.get(q)
    if (v !== undefined) res.setHeader(h, wireHeaderValue(v))
  }
}

/** storageClassOf is the storage class a listing shows for an object; throws nothing. */
export function storageClassOf(obj: ObjectRow): string {
  return obj.meta.headers['x-amz-storage-class'] ?? 'STANDARD'
}

/** httpDate formats a time for Last-Modified-style headers. */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString()
}
