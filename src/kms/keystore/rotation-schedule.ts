/**
 * Automatic rotation (docs/key-rotation.md, "Automatic rotation"): keys named or matched by a
 * `keys:` entry with `rotate: <period>` get a new version once their current one is that old.
 *
 * The schedule keeps no state of its own: a key is due when its current version's creation time
 * plus the period has passed, so restarts, reloads and several servers on one keystore need no
 * coordination. Each rotation re-reads the key and rotates only if it is still due, and version
 * numbers are claimed exclusively (rotate.ts): two servers finding a key due at once rotate it
 * once. In a cluster only one worker runs the schedule (src/kms/workers/serve.ts).
 *
 * @module
 */
import { isValidPattern, listPrefix } from '../api/validate.js'
import type { RotationRule } from '../config/types.js'
import type { AuditRecord } from '../observability/audit-record.js'
import type { Logger } from '../observability/logger.js'
import type { KeyCache } from './cache.js'
import { StaleVersionsError } from './key-versions.js'
import { KeyNotFoundError } from './keystore.js'
import { RotationConflictError, rotateKey, type Rotated } from './rotate.js'

/** The schedule looks at least this often (and at most every second). */
const MAX_TICK_MS = 10 * 60_000
const MIN_TICK_MS = 1_000
const CALL_TIMEOUT_MS = 30_000

/** Options of {@link startRotationSchedule}. */
export interface RotationScheduleOptions {
  keys: KeyCache
  /** The rules of the current config (read at every tick, so reloads apply). */
  rules: () => readonly RotationRule[]
  /** The identity new versions are created by (the admin, as for start-up keys). */
  createdBy: () => string
  log: Logger
  /** Told about every automatic rotation, as an audit record. Must not throw. */
  onRotated: (record: AuditRecord) => void
}

/** A running schedule. */
export interface RotationSchedule {
  /** tick checks every rule once now (tests; the timer calls it too). Throws nothing. */
  tick(): Promise<void>
  /** stop ends the schedule and waits for a tick in progress. Idempotent; throws nothing. */
  stop(): Promise<void>
}

/** tickMs is how long to wait between looks: a tenth of the shortest period, within 1 s … 10 min. Throws nothing. */
export function tickMs(rules: readonly RotationRule[]): number {
  const shortest = Math.min(...rules.map((r) => r.everyMs), MAX_TICK_MS * 10)
  return Math.min(MAX_TICK_MS, Math.max(MIN_TICK_MS, Math.floor(shortest / 10)))
}

/** formatPeriod renders a period for the audit log: whole days when it is some, else seconds. Throws nothing. */
function formatPeriod(ms: number): string {
  return ms % 86_400_000 === 0 ? `${ms / 86_400_000}d` : `${ms / 1000}s`
}

/** The audit record of an automatic rotation: the request an operator would have made, with no caller. */
function auditRecord(name: string, rotated: Rotated, rule: RotationRule, startedAt: Date): AuditRecord {
  return {
    time: startedAt, method: 'PUT', path: `/v1/key/rotate/${name}`, identity: '', ip: '', status: 200,
    responseMs: Date.now() - startedAt.getTime(), decision: 'none',
    message: `secret key '${name}' rotated to version ${rotated.version} (automatic: every ${formatPeriod(rule.everyMs)})`,
  }
}

async function namesOf(keys: KeyCache, pattern: string): Promise<string[]> {
  if (!pattern.endsWith('*')) return [pattern]
  if (!isValidPattern(pattern)) return []
  return (await keys.list(listPrefix(pattern), 0, AbortSignal.timeout(CALL_TIMEOUT_MS))).names
}

/** startRotationSchedule starts the timer; the first look is one tick after the start. Throws nothing. */
export function startRotationSchedule(options: RotationScheduleOptions): RotationSchedule {
  const { keys, log } = options
  let timer: NodeJS.Timeout | undefined
  let running: Promise<void> | undefined
  let stopped = false

  const rotateIfDue = async (name: string, rule: RotationRule): Promise<void> => {
    const now = Date.now()
    const key = await keys.get(name) // may be stale: rotateKey re-reads the store before it acts
    if (key.createdAt !== undefined && key.createdAt.getTime() + rule.everyMs > now) return
    const startedAt = new Date()
    const rotated = await rotateKey(keys, name, options.createdBy(), AbortSignal.timeout(CALL_TIMEOUT_MS), {
      onlyIfCreatedBefore: new Date(now - rule.everyMs),
    })
    if (rotated === undefined) return
    log.info({ key: name, version: rotated.version }, 'key rotated automatically')
    options.onRotated(auditRecord(name, rotated, rule, startedAt))
  }

  const lookOnce = async (): Promise<void> => {
    for (const rule of options.rules()) {
      let names: string[]
      try {
        names = await namesOf(keys, rule.pattern)
      } catch (err) {
        log.error({ pattern: rule.pattern, err: (err as Error).message }, 'automatic rotation: cannot list keys')
        continue
      }
      for (const name of names) {
        if (stopped) return
        try {
          await rotateIfDue(name, rule)
        } catch (err) {
          if (err instanceof RotationConflictError) continue // another server rotates it right now
          if (err instanceof KeyNotFoundError) {
            log.debug({ key: name }, 'automatic rotation: no such key')
            continue
          }
          const why = err instanceof StaleVersionsError ? 'the stored versions do not belong to the key (docs/key-rotation.md)' : (err as Error).message
          log.error({ key: name, err: why }, 'automatic rotation failed')
        }
      }
    }
  }

  const tick = (): Promise<void> => {
    running ??= lookOnce().finally(() => {
      running = undefined
    })
    return running
  }
  const schedule = () => {
    if (stopped) return
    timer = setTimeout(() => void tick().finally(schedule), tickMs(options.rules()))
    timer.unref()
  }
  schedule()
  return {
    tick,
    async stop() {
      stopped = true
      clearTimeout(timer)
      await running
    },
  }
}
