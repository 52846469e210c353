/**
 * MinIO's KMS context (`kms.Context.MarshalText`): canonical JSON of a string map, keys sorted by
 * their UTF-8 bytes, no whitespace, Go-style HTML-safe escaping. KES binds these exact bytes as
 * associated data, so generate and decrypt must send identical bytes.
 *
 * @module
 */
import { joinObjectPath } from '../sse/object-key.js'

/** A KMS context: string keys to string values. */
export type KmsContext = Readonly<Record<string, string>>

const HEX = '0123456789abcdef'

function escape(s: string): string {
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const code = s.charCodeAt(i)
    if (code < 0x80) {
      const ch = s[i]!
      if (ch === '\\' || ch === '"') out += `\\${ch}`
      else if (ch === '\n') out += '\\n'
      else if (ch === '\r') out += '\\r'
      else if (ch === '\t') out += '\\t'
      else if (code < 0x20 || ch === '<' || ch === '>' || ch === '&') out += `\\u00${HEX[code >> 4]}${HEX[code & 0xf]}`
      else out += ch
    } else if (code === 0x2028 || code === 0x2029) {
      out += `\\u202${HEX[code & 0xf]}`
    } else if (code >= 0xd800 && code <= 0xdbff && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff) {
      out += s.slice(i, i + 2)
      i++
    } else if (code >= 0xd800 && code <= 0xdfff) {
      // A lone surrogate is what invalid UTF-8 becomes; Go writes U+FFFD for it.
      out += '\\ufffd'
    } else {
      out += s[i]
    }
  }
  return out
}

/** marshalContext returns the canonical JSON bytes of a context (`{}` when empty). Never throws. */
export function marshalContext(context: KmsContext | undefined): Buffer {
  const keys = Object.keys(context ?? {})
  if (keys.length === 0) return Buffer.from('{}')
  keys.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
  const body = keys.map((k) => `"${escape(k)}":"${escape(context![k]!)}"`).join(',')
  return Buffer.from(`{${body}}`)
}

/** objectContext returns the context MinIO sends for an object: `{bucket: bucket/object}`. */
export function objectContext(bucket: string, object: string): KmsContext {
  return { [bucket]: joinObjectPath(bucket, object) }
}

/**
 * sseKmsContext returns the context of an SSE-KMS object with a client context: the client map
 * plus `{bucket: bucket/object}` unless the client already used the key `bucket`.
 */
export function sseKmsContext(bucket: string, object: string, client: KmsContext | undefined): KmsContext {
  if (client === undefined) return objectContext(bucket, object)
  if (Object.hasOwn(client, bucket)) return { ...client }
  return { ...client, ...objectContext(bucket, object) }
}

/** Contexts of MinIO's admin calls, kept byte-identical (including the misnamed one). */
export const KEY_STATUS_CONTEXT: KmsContext = { 'MinIO admin API': 'KMSKeyStatusHandler' }
/** The context of the PutBucketEncryption key check. */
export const BUCKET_KEY_CHECK_CONTEXT: KmsContext = { 'MinIO admin API': 'ServerInfoHandler' }
