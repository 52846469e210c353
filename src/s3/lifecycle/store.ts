/**
 * Where a bucket's lifecycle configuration lives: one bucket config entry (`lifecycle`) holding its rules as
 * JSON, so it goes with the bucket when the bucket is deleted.
 *
 * @module
 */
import type { BucketConfigStore } from '../extensions.js'
import type { LifecycleConfig } from './rules.js'

/** The bucket_config entry holding a bucket's lifecycle configuration. */
export const LIFECYCLE_CONFIG = 'lifecycle'

// Every GET, HEAD and write of a bucket with rules reads them: the parsed form is kept while the stored text is
// unchanged, so a large configuration (up to 1000 rules) is not parsed again per request.
const parsed = new Map<string, { text: string; config: LifecycleConfig }>()
const MAX_CACHED = 256

/** lifecycleOf reads a bucket's lifecycle configuration, or undefined when it has none; throws only on database errors. */
export function lifecycleOf(store: BucketConfigStore, bucket: string): LifecycleConfig | undefined {
  const stored = store.get(bucket, LIFECYCLE_CONFIG)
  if (stored === undefined) return undefined
  const hit = parsed.get(bucket)
  if (hit !== undefined && hit.text === stored) return hit.config
  const config = JSON.parse(stored) as LifecycleConfig
  if (parsed.size >= MAX_CACHED) parsed.delete(parsed.keys().next().value!)
  parsed.set(bucket, { text: stored, config })
  return config
}

/** setLifecycle replaces (or, with undefined, removes) a bucket's lifecycle configuration; throws only on database errors. */
export function setLifecycle(store: BucketConfigStore, bucket: string, config: LifecycleConfig | undefined): void {
  if (config === undefined) store.delete(bucket, LIFECYCLE_CONFIG)
  else store.set(bucket, LIFECYCLE_CONFIG, JSON.stringify(config))
}
