/**
 * The parsed form of an IAM / bucket policy document.
 *
 * @module
 */

/** Effect of a statement. */
export type Effect = 'Allow' | 'Deny'

/** One condition clause: `operator` (e.g. `ForAnyValue:StringLike`) applied to `key` with `values`. */
export interface Condition {
  /** Operator name without qualifier, e.g. `StringEquals`. */
  readonly operator: string
  /** `ForAnyValue`, `ForAllValues` or undefined. */
  readonly qualifier?: 'ForAnyValue' | 'ForAllValues'
  /** Condition key as written, e.g. `s3:prefix` (compared case-insensitively for `aws:` keys). */
  readonly key: string
  readonly values: readonly string[]
}

/** A statement. `principals` is set only for bucket policies (`*` means everyone). */
export interface Statement {
  readonly sid?: string
  readonly effect: Effect
  readonly principals?: readonly string[]
  readonly actions: readonly string[]
  readonly notActions: readonly string[]
  /** Resource patterns without the `arn:aws:s3:::` prefix (KMS ones keep `arn:minio:kms:::`). */
  readonly resources: readonly string[]
  readonly notResources: readonly string[]
  readonly conditions: readonly Condition[]
}

/** A policy document. */
export interface Policy {
  readonly version: string
  readonly id?: string
  readonly statements: readonly Statement[]
}

/** What a request asks for, in policy terms. */
export interface PolicyArgs {
  /** e.g. `s3:GetObject`, `admin:CreateUser`. */
  readonly action: string
  readonly bucket?: string
  readonly object?: string
  /** Condition values by key name (`s3:prefix`, `aws:SourceIp`, `aws:username`, …). */
  readonly conditions: Readonly<Record<string, readonly string[]>>
  /** The owner (root) is allowed anything no explicit Deny forbids. */
  readonly isOwner?: boolean
  /** Only Deny statements count; anything else is allowed. */
  readonly denyOnly?: boolean
}
