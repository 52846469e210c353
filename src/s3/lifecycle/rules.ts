/**
 * The shape of a bucket lifecycle configuration as keyhold-s3 keeps it (JSON in the bucket's config), and
 * the errors its checks answer, in MinIO's words (MinIO answers every lifecycle check as 400 InvalidArgument).
 *
 * @module
 */
import { type S3Error, s3err } from '../api/errors.js'
import type { TagSet } from '../api/tag-set.js'

/** A rule's filter: at most one predicate, or an `And` of two or more (AWS's LifecycleRuleFilter). */
export interface LifecycleFilter {
  prefix?: string
  /** A single tag; a tag with an empty key is no predicate (as MinIO). */
  tag?: [key: string, value: string]
  sizeGreaterThan?: number
  sizeLessThan?: number
  and?: { prefix?: string; tags: TagSet; sizeGreaterThan?: number; sizeLessThan?: number }
}

/** An Expiration action: after days, on a date, or the removal of expired delete markers. */
export interface LifecycleExpiration {
  days?: number
  /** Midnight UTC, as an ISO string (`2030-01-01T00:00:00Z`). */
  date?: string
  /** ExpiredObjectDeleteMarker, when given. */
  deleteMarker?: boolean
  /** MinIO's ExpiredObjectAllVersions extension, when given. */
  allVersions?: boolean
}

/** One lifecycle rule. */
export interface LifecycleRule {
  id: string
  status: 'Enabled' | 'Disabled'
  /** The rule-level `Prefix` of the older PutBucketLifecycle form, when given. */
  prefix?: string
  filter?: LifecycleFilter
  expiration?: LifecycleExpiration
  noncurrentExpiration?: { days?: number; newerVersions?: number }
  abortMultipartDays?: number
  delMarkerExpirationDays?: number
}

/** A whole configuration: 1 to 1000 rules with unique ids. */
export interface LifecycleConfig {
  rules: LifecycleRule[]
}

/** MinIO's limit on rules per configuration (as AWS). */
export const MAX_LIFECYCLE_RULES = 1000

/** invalidLifecycle makes MinIO's answer to a configuration that fails a check: 400 InvalidArgument; throws nothing. */
export function invalidLifecycle(message: string): S3Error {
  return s3err('InvalidArgument', message)
}

/** MinIO's texts for each check (internal/bucket/lifecycle). */
export const LIFECYCLE_TEXTS = {
  notWellFormed: 'The XML you provided was not well-formed or did not validate against our published schema',
  tooManyRules: 'Lifecycle configuration allows a maximum of 1000 rules',
  noRule: 'Lifecycle configuration should have at least one rule',
  duplicateId: 'Rule ID must be unique. Found same ID for more than one rule',
  idTooLong: 'ID length is limited to 255 characters',
  emptyStatus: 'Status should not be empty',
  badStatus: 'Status must be set to either Enabled or Disabled',
  badDate: 'Date must be provided in ISO 8601 format',
  badDays: 'Days must be positive integer when used with Expiration',
  daysAndDate: 'Exactly one of Days (positive integer) or Date (positive ISO 8601 format) should be present inside Expiration.',
  markerWithDays: 'Delete marker cannot be specified with Days or Date in a Lifecycle Expiration Policy',
  dateNotMidnight: '\'Date\' must be at midnight GMT',
  allVersionsWithoutDays: 'Days (positive integer) should be present inside Expiration with ExpiredObjectAllVersions.',
  badFilter: 'Filter must have exactly one of Prefix, Tag, or And specified',
  duplicateTagKey: 'Duplicate Tag Keys are not allowed',
  badTagKey: 'The TagKey you have provided is invalid',
  badTagValue: 'The TagValue you have provided is invalid',
  duplicatedXmlTag: 'duplicated XML Tag',
  unknownXmlTag: 'unknown XML Tag',
  delMarkerDays: 'Days must be a positive integer with DelMarkerExpiration',
  delMarkerWithTags: 'Rule with DelMarkerExpiration cannot have tags based filtering',
  transitionDays: 'Days must be 0 or greater when used with Transition',
  transitionDaysAndDate: 'Exactly one of Days (0 or greater) or Date (positive ISO 8601 format) should be present in Transition.',
  abortDays: '\'DaysAfterInitiation\' for AbortIncompleteMultipartUpload action must be a positive integer',
  abortWithTags: 'AbortIncompleteMultipartUpload cannot be specified with Tags.',
} as const

/** rulePrefix is the key prefix a rule applies to (rule-level, filter or And prefix, as MinIO's GetPrefix). */
export function rulePrefix(rule: LifecycleRule): string {
  return rule.prefix || rule.filter?.prefix || rule.filter?.and?.prefix || ''
}

/** ruleTags lists the tags an object must carry for a rule to apply (those with a key). */
export function ruleTags(rule: LifecycleRule): TagSet {
  const tags: TagSet = [...(rule.filter?.and?.tags ?? [])]
  if (rule.filter?.tag !== undefined) tags.push(rule.filter.tag)
  return tags.filter(([k]) => k !== '')
}
