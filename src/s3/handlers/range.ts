/**
 * HTTP Range and conditional request headers as S3 applies them to GetObject/HeadObject.
 *
 * @module
 */
import type { IncomingMessage } from 'node:http'
import { s3err } from '../api/errors.js'
import { header } from '../api/context.js'

/**
 * parseRange resolves a Range header against an object size: undefined for no (or syntactically invalid, which
 * HTTP says to ignore) range, else the inclusive range. Throws S3Error InvalidRange when unsatisfiable.
 */
export function parseRange(value: string | undefined, size: number): { start: number; end: number } | undefined {
  if (value === undefined) return undefined
  const m = /^bytes=(\d*)-(\d*)$/.exec(value.trim())
  if (m === null || (m[1] === '' && m[2] === '')) return undefined
  const unsatisfiable = () => s3err('InvalidRange', undefined, { RangeRequested: value, ActualObjectSize: String(size) })
  if (m[1] === '') {
    const suffix = Number(m[2])
    if (suffix === 0 || size === 0) throw unsatisfiable()
    return { start: Math.max(0, size - suffix), end: size - 1 }
  }
  const start = Number(m[1])
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1)
  if (m[2] !== '' && Number(m[2]) < start) return undefined
  if (start >= size) throw unsatisfiable()
  return { start, end }
}

/** etagList reads an If-Match / If-None-Match list: quoted or bare ETags, `W/` dropped, or `*`. Throws nothing. */
export function etagList(value: string): string[] {
  return value.split(',').map((s) => s.trim().replace(/^W\//, '').replace(/^"|"$/g, '')).filter((s) => s !== '')
}

/**
 * checkConditions applies If-Match / If-Unmodified-Since (412 PreconditionFailed) and If-None-Match /
 * If-Modified-Since (304 NotModified for reads, 412 for writes) in RFC 7232 order. Throws S3Error.
 */
export function checkConditions(req: IncomingMessage, etag: string, mtime: number, prefix = ''): void {
  const h = (n: string) => header(req, prefix + n)
  const matches = (list: string) => etagList(list).some((t) => t === '*' || t === etag)
  const seconds = Math.floor(mtime / 1000) * 1000
  const ifMatch = h('if-match')
  const ifNoneMatch = h('if-none-match')
  const read = prefix === ''
  if (ifMatch !== undefined) {
    if (!matches(ifMatch)) throw s3err('PreconditionFailed', undefined, { Condition: 'If-Match' })
  } else {
    const ius = parseDate(h('if-unmodified-since'))
    if (ius !== undefined && seconds > ius) throw s3err('PreconditionFailed', undefined, { Condition: 'If-Unmodified-Since' })
  }
  if (ifNoneMatch !== undefined) {
    if (matches(ifNoneMatch)) throw read ? s3err('NotModified') : s3err('PreconditionFailed', undefined, { Condition: 'If-None-Match' })
  } else {
    const ims = parseDate(h('if-modified-since'))
    if (ims !== undefined && seconds <= ims) throw read ? s3err('NotModified') : s3err('PreconditionFailed', undefined, { Condition: 'If-Modified-Since' })
  }
}

function parseDate(value: string | undefined): number | undefined {
  if (value === undefined) return undefined
  const t = Date.parse(value)
  return Number.isNaN(t) ? undefined : t
}
