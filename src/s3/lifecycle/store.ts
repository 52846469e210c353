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

/** lifecycleOf reads a bucket's lifecycle configuration, or undefined when it has none; throws only on database errors. */
export function lifecycleOf(store: BucketConfigStore, bucket: string): LifecycleConfig | undefined {
  const stored = store.get(bucket, LIFECYCLE_CONFIG)
  return stored === undefined ? undefined : JSON.parse(stored) as LifecycleConfig
}

/** setLifecycle replaces (or, with undefined, removes) a bucket's lifecycle configuration; throws only on database errors. */
export function setLifecycle(store: BucketConfigStore, bucket: string, config: LifecycleConfig | undefined): void {
  if (config === undefined) store.delete(bucket, LIFECYCLE_CONFIG)
  else store.set(bucket, LIFECYCLE_CONFIG, JSON.stringify(config))
}
