/**
 * The key walk behind every listing: keys after a marker, under a prefix, rolled up into common prefixes at the
 * delimiter, at most maxKeys entries. Reads the index in bounded batches and skips whole common prefixes.
 *
 * @module
 */
import type { MetaStore, ObjectRow } from '../storage/meta.js'

/** A listing entry: an object or a common prefix. */
export type Entry = { kind: 'object'; row: ObjectRow } | { kind: 'prefix'; prefix: string }

/** The result of a walk. */
export interface Walk {
  entries: Entry[]
  truncated: boolean
  /** The last key or common prefix returned (the next marker). */
  last: string | undefined
}

const BATCH = 1000
// Sorts after every other code point, so cp + MAX_CHAR passes over all keys starting with cp.
const MAX_CHAR = '\u{10FFFF}'

/** walkKeys lists a bucket's keys; never throws except on database errors. */
export function walkKeys(meta: MetaStore, bucket: string, prefix: string, delimiter: string, after: string, maxKeys: number): Walk {
  const entries: Entry[] = []
  // Asked for nothing, a listing is complete (MinIO answers max-keys=0 with IsTruncated false).
  if (maxKeys === 0) return { entries, truncated: false, last: undefined }
  let cursor = after
  let last: string | undefined
  for (;;) {
    const rows = meta.listKeys(bucket, cursor, prefix, BATCH)
    if (rows.length === 0) return { entries, truncated: false, last }
    for (const row of rows) {
      if (!row.key.startsWith(prefix)) return { entries, truncated: false, last }
      cursor = row.key
      let name = row.key
      let kind: 'object' | 'prefix' = 'object'
      if (delimiter !== '') {
        const at = row.key.indexOf(delimiter, prefix.length)
        if (at >= 0) {
          name = row.key.slice(0, at + delimiter.length)
          kind = 'prefix'
        }
      }
      if (kind === 'prefix' && (name <= after || name === last)) {
        cursor = name + MAX_CHAR
        break
      }
      if (entries.length >= maxKeys) return { entries, truncated: true, last }
      entries.push(kind === 'object' ? { kind, row } : { kind, prefix: name })
      last = name
      if (kind === 'prefix') {
        cursor = name + MAX_CHAR
        break
      }
    }
  }
}
