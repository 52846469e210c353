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

/**
 * pastPrefix returns the smallest string that sorts after every key starting with `prefix`, in the index's
 * order (UTF-8 bytes, which is code point order): `prefix` with its last code point raised by one (`a/` → `a0`).
 * Undefined when that code point is the last one (U+10FFFF): nothing is greater, the caller walks on instead.
 * Seeking past `prefix + U+10FFFF` instead was wrong: a key continuing with U+10FFFF sorts after that and rolled
 * up into the same prefix again, and the walk went round forever (found by an attack). Throws nothing.
 */
export function pastPrefix(prefix: string): string | undefined {
  const chars = [...prefix]
  const lastCp = chars.pop()?.codePointAt(0)
  if (lastCp === undefined || lastCp >= 0x10ffff) return undefined
  // The surrogate range holds no characters (better-sqlite3 would store a lone one as U+FFFD).
  const next = lastCp + 1 === 0xd800 ? 0xe000 : lastCp + 1
  return chars.join('') + String.fromCodePoint(next)
}

/** rollUp is the common prefix a key rolls up into at the delimiter, or undefined when it is listed itself. */
export function rollUp(key: string, prefix: string, delimiter: string): string | undefined {
  if (delimiter === '') return undefined
  const at = key.indexOf(delimiter, prefix.length)
  return at < 0 ? undefined : key.slice(0, at + delimiter.length)
}

/**
 * walkKeys lists a bucket's keys; never throws except on database errors. Every row is read at most once, and
 * the keys under a common prefix are passed over in the batch at hand, or by one seek when they run past it:
 * a folder listing costs about the rows it shows, not a batch per folder (a listing of 2,000 one-object folders
 * read 2 million rows and blocked the server for seconds, found by an attack).
 */
export function walkKeys(meta: MetaStore, bucket: string, prefix: string, delimiter: string, after: string, maxKeys: number): Walk {
  const entries: Entry[] = []
  // Asked for nothing, a listing is complete (MinIO answers max-keys=0 with IsTruncated false).
  if (maxKeys === 0) return { entries, truncated: false, last: undefined }
  let from = { key: after, inclusive: false }
  let last: string | undefined
  for (;;) {
    const rows = meta.listKeys(bucket, from.key, prefix, BATCH, from.inclusive)
    // The common prefix whose keys are being passed over.
    let skipping: string | undefined
    for (const row of rows) {
      if (!row.key.startsWith(prefix)) return { entries, truncated: false, last }
      from = { key: row.key, inclusive: false }
      if (skipping !== undefined && row.key.startsWith(skipping)) continue
      skipping = undefined
      const name = rollUp(row.key, prefix, delimiter)
      if (name !== undefined) {
        skipping = name
        // Listed on an earlier page (the marker is a key or a common prefix).
        if (name <= after || name === last) continue
      }
      if (entries.length >= maxKeys) return { entries, truncated: true, last }
      entries.push(name === undefined ? { kind: 'object', row } : { kind: 'prefix', prefix: name })
      last = name ?? row.key
    }
    if (rows.length < BATCH) return { entries, truncated: false, last }
    // The batch ended inside a common prefix: one seek past the rest of its keys.
    const past = skipping === undefined ? undefined : pastPrefix(skipping)
    if (past !== undefined) from = { key: past, inclusive: true }
  }
}
