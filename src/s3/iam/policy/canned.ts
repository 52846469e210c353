/**
 * MinIO's canned policies, present in every deployment, with their exact documents
 * (`minio/pkg/v3 policy/constants.go DefaultPolicies`).
 *
 * @module
 */
import { parsePolicy } from './parse.js'
import type { Policy } from './types.js'

/** CANNED_POLICY_TEXT maps each canned policy name to MinIO's document. */
export const CANNED_POLICY_TEXT: Readonly<Record<string, string>> = Object.freeze({
  readwrite: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::*"]}]}',
  readonly: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetBucketLocation","s3:GetObject"],"Resource":["arn:aws:s3:::*"]}]}',
  writeonly: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:PutObject"],"Resource":["arn:aws:s3:::*"]}]}',
  diagnostics: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["admin:Profiling","admin:ServerTrace","admin:ConsoleLog","admin:ServerInfo","admin:TopLocksInfo","admin:OBDInfo","admin:BandwidthMonitor","admin:Prometheus"],"Resource":["arn:aws:s3:::*"]}]}',
  consoleAdmin: '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["admin:*"]},{"Effect":"Allow","Action":["kms:*"]},{"Effect":"Allow","Action":["s3:*"],"Resource":["arn:aws:s3:::*"]}]}',
})

/** CANNED_POLICIES holds the parsed canned policies. */
export const CANNED_POLICIES: ReadonlyMap<string, Policy> = new Map(
  Object.entries(CANNED_POLICY_TEXT).map(([name, text]) => [name, parsePolicy(text)]),
)
