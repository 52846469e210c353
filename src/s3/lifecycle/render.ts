/**
 * GetBucketLifecycleConfiguration's document, element for element as MinIO writes it back (its order, and the
 * elements it leaves out when empty), plus AbortIncompleteMultipartUpload, which MinIO drops and keyhold-s3 keeps.
 *
 * @module
 */
import { xmlDocument, type XNode } from '../api/xml.js'
import type { LifecycleConfig, LifecycleFilter, LifecycleRule } from './rules.js'

/** renderLifecycle renders a stored configuration as S3's `LifecycleConfiguration`; throws nothing. */
export function renderLifecycle(config: LifecycleConfig): string {
  return xmlDocument(['LifecycleConfiguration', config.rules.map(renderRule)])
}

function renderRule(r: LifecycleRule): XNode {
  const e = r.expiration
  const nc = r.noncurrentExpiration
  return ['Rule', [
    ['ID', r.id],
    ['Status', r.status],
    r.filter === undefined ? undefined : ['Filter', renderFilter(r.filter)],
    r.prefix === undefined ? undefined : ['Prefix', r.prefix],
    e === undefined ? undefined : ['Expiration', [
      e.days === undefined ? undefined : ['Days', e.days],
      e.date === undefined ? undefined : ['Date', e.date],
      e.deleteMarker === undefined ? undefined : ['ExpiredObjectDeleteMarker', e.deleteMarker],
      e.allVersions === undefined ? undefined : ['ExpiredObjectAllVersions', e.allVersions],
    ]],
    r.delMarkerExpirationDays === undefined ? undefined : ['DelMarkerExpiration', [['Days', r.delMarkerExpirationDays]]],
    nc === undefined || ((nc.days ?? 0) === 0 && (nc.newerVersions ?? 0) === 0) ? undefined : ['NoncurrentVersionExpiration', [
      nc.days ? ['NoncurrentDays', nc.days] : undefined,
      nc.newerVersions ? ['NewerNoncurrentVersions', nc.newerVersions] : undefined,
    ]],
    r.abortMultipartDays === undefined ? undefined
      : ['AbortIncompleteMultipartUpload', [['DaysAfterInitiation', r.abortMultipartDays]]],
  ]]
}

function tagNode([key, value]: [string, string]): XNode {
  return ['Tag', [key === '' ? undefined : ['Key', key], value === '' ? undefined : ['Value', value]]]
}

function renderFilter(f: LifecycleFilter): Array<XNode | undefined> {
  const a = f.and
  if (a !== undefined && (a.tags.length > 0 || a.prefix !== undefined || (a.sizeGreaterThan ?? 0) !== 0 || (a.sizeLessThan ?? 0) !== 0)) {
    return [['And', [
      a.sizeGreaterThan ? ['ObjectSizeGreaterThan', a.sizeGreaterThan] : undefined,
      a.sizeLessThan ? ['ObjectSizeLessThan', a.sizeLessThan] : undefined,
      a.prefix === undefined ? undefined : ['Prefix', a.prefix],
      ...a.tags.map(tagNode),
    ]]]
  }
  if (f.tag !== undefined && f.tag[0] !== '') return [tagNode(f.tag)]
  return [
    f.prefix === undefined ? undefined : ['Prefix', f.prefix],
    (f.sizeLessThan ?? 0) > 0 ? ['ObjectSizeLessThan', f.sizeLessThan!] : undefined,
    (f.sizeGreaterThan ?? 0) > 0 ? ['ObjectSizeGreaterThan', f.sizeGreaterThan!] : undefined,
  ]
}
