/**
 * Bucket default encryption (`internal/bucket/encryption/bucket-sse-config.go`): the
 * ServerSideEncryptionConfiguration XML with MinIO's validation, and `Apply`, which fills in SSE
 * for new writes that carry no SSE headers.
 *
 * @module
 */
import { isValidName } from '../../kms/api/validate.js'
import { s3err, type S3Error } from '../api/errors.js'
import { xmlBodyParser } from '../api/xml.js'
import { ARN_PREFIX, type SseRequest } from './request.js'

/** A validated bucket encryption rule. */
export interface BucketSseConfig {
  algorithm: 'AES256' | 'aws:kms'
  /** The KMS key as the client gave it (may carry `arn:aws:kms:`). */
  kmsMasterKeyId?: string
}

const S3_NS = 'http://s3.amazonaws.com/doc/2006-03-01/'

function malformed(reason: string): S3Error {
  return s3err('MalformedXML', `The XML you provided was not well-formed or did not validate against our published schema. (${reason})`)
}

const parseDocument = xmlBodyParser({ arrays: ['Rule'], trimValues: false, removeNSPrefix: true })

/**
 * parseBucketSseConfig parses and validates a PutBucketEncryption body. Throws S3Error MalformedXML
 * with MinIO's reason in parentheses.
 */
export function parseBucketSseConfig(xml: string): BucketSseConfig {
  let root: { Rule?: unknown[] }
  try {
    root = parseDocument(xml, 'ServerSideEncryptionConfiguration')
  } catch {
    throw malformed('XML syntax error')
  }
  const rules = root.Rule ?? []
  if (rules.length !== 1) throw malformed('only one server-side encryption rule is allowed at a time')
  const rule = rules[0] as { ApplyServerSideEncryptionByDefault?: { SSEAlgorithm?: unknown; KMSMasterKeyID?: unknown } } | undefined
  const apply = rule?.ApplyServerSideEncryptionByDefault ?? {}
  const algorithm = typeof apply.SSEAlgorithm === 'string' ? apply.SSEAlgorithm : ''
  const keyId = typeof apply.KMSMasterKeyID === 'string' ? apply.KMSMasterKeyID : undefined
  if (algorithm === 'AES256') {
    if (keyId !== undefined && keyId !== '') throw malformed('MasterKeyID is allowed with aws:kms only')
    return { algorithm }
  }
  if (algorithm === 'aws:kms') {
    if (keyId === undefined || keyId === '') throw malformed('MasterKeyID is missing with aws:kms')
    if (keyId.startsWith(' ') || keyId.endsWith(' ')) throw malformed('MasterKeyID contains unsupported characters')
    // Not a KES key name: KES would refuse it (and the key check answer 500), so refuse it as MinIO refuses spaces.
    const name = keyId.startsWith(ARN_PREFIX) ? keyId.slice(ARN_PREFIX.length) : keyId
    if (!isValidName(name)) throw malformed('MasterKeyID contains unsupported characters')
    return { algorithm, kmsMasterKeyId: keyId }
  }
  throw malformed('Unknown SSE algorithm')
}

function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;')
}

/** serializeBucketSseConfig renders the config as MinIO stores and returns it (with the S3 namespace). Throws nothing. */
export function serializeBucketSseConfig(c: BucketSseConfig): string {
  const key = c.kmsMasterKeyId !== undefined ? `<KMSMasterKeyID>${escapeXml(c.kmsMasterKeyId)}</KMSMasterKeyID>` : ''
  return `<ServerSideEncryptionConfiguration xmlns="${S3_NS}"><Rule><ApplyServerSideEncryptionByDefault>` +
    `<SSEAlgorithm>${c.algorithm}</SSEAlgorithm>${key}</ApplyServerSideEncryptionByDefault></Rule></ServerSideEncryptionConfiguration>`
}

/** kmsKeyOf returns the KES key name of a config (the `arn:aws:kms:` prefix stripped). */
export function kmsKeyOf(c: BucketSseConfig): string {
  const id = c.kmsMasterKeyId ?? ''
  return id.startsWith(ARN_PREFIX) ? id.slice(ARN_PREFIX.length) : id
}

// Every write consults the bucket default; the stored XML rarely changes, so its parse is memoised.
const parsedDefaults = new Map<string, SseRequest>()

/**
 * applyBucketDefault is MinIO's `BucketSSEConfig.Apply` for a write without SSE headers: the stored
 * bucket config if any, else auto-encryption (SSE-KMS under the default key), else nothing.
 * Throws S3Error InternalError if the stored config no longer parses: a write must never fall
 * back to plaintext silently.
 */
export function applyBucketDefault(stored: string | undefined, autoEncryption: boolean): SseRequest {
  if (stored !== undefined) {
    const cached = parsedDefaults.get(stored)
    if (cached !== undefined) return cached
    let c: BucketSseConfig
    try {
      c = parseBucketSseConfig(stored)
    } catch {
      throw s3err('InternalError')
    }
    const req: SseRequest = c.algorithm === 'AES256' ? { kind: 'SSE-S3' } : { kind: 'SSE-KMS', keyId: kmsKeyOf(c) }
    if (parsedDefaults.size >= 256) parsedDefaults.clear()
    parsedDefaults.set(stored, req)
    return req
  }
  return autoEncryption ? { kind: 'SSE-KMS', keyId: '' } : { kind: 'none' }
}
