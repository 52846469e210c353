/**
 * The condition keys a policy may name: MinIO's list (minio/pkg `condition.AllSupportedKeys`). A key outside
 * it never has a value, so a Deny conditioned on a misspelt key would never apply: documents being stored are
 * refused instead, as MinIO refuses them.
 *
 * @module
 */

const S3_KEYS = [
  'signatureversion', 'authType', 'signatureAge', 'x-amz-copy-source', 'x-amz-server-side-encryption',
  'x-amz-server-side-encryption-customer-algorithm', 'x-amz-server-side-encryption-aws-kms-key-id',
  'x-amz-metadata-directive', 'x-amz-storage-class', 'x-amz-content-sha256', 'LocationConstraint', 'prefix',
  'delimiter', 'max-keys', 'versionid', 'object-lock-remaining-retention-days', 'object-lock-mode',
  'object-lock-legal-hold', 'object-lock-retain-until-date', 'RequestObjectTagKeys',
].map((k) => `s3:${k}`)

const AWS_KEYS = [
  'Referer', 'SourceIp', 'UserAgent', 'SecureTransport', 'CurrentTime', 'EpochTime', 'principaltype', 'userid',
  'username', 'groups',
].map((k) => `aws:${k}`)

const IDENTITY_KEYS = [
  ...['user', 'username', 'groups'].map((k) => `ldap:${k}`),
  ...['sub', 'iss', 'aud', 'jti', 'upn', 'name', 'groups', 'given_name', 'family_name', 'middle_name', 'nickname',
    'preferred_username', 'profile', 'picture', 'website', 'email', 'gender', 'birthdate', 'phone_number', 'address',
    'scope', 'client_id'].map((k) => `jwt:${k}`),
]

/** Keys that name an object tag after a `/` (`s3:ExistingObjectTag/<tag>`). */
const TAG_KEYS = ['s3:ExistingObjectTag', 's3:RequestObjectTag']

// Lower case: the evaluator looks keys up case-insensitively (as AWS treats them), so the check does too.
const KNOWN = new Set([...S3_KEYS, ...AWS_KEYS, ...IDENTITY_KEYS].map((k) => k.toLowerCase()))
const TAGGED = new Set(TAG_KEYS.map((k) => k.toLowerCase()))

/** isKnownConditionKey reports whether a policy's condition key is one MinIO supports. Throws nothing. */
export function isKnownConditionKey(key: string): boolean {
  const lower = key.toLowerCase()
  const slash = lower.indexOf('/')
  if (slash < 0) return KNOWN.has(lower)
  return TAGGED.has(lower.slice(0, slash)) && slash < lower.length - 1
}
