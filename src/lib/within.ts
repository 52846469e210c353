/**
 * Waiting with a bound: the graceful stops (graceful-close.ts, keyhold-s3's in-flight requests) wait for
 * something that may never come.
 *
 * @module
 */

/**
 * within resolves when `p` does or after `ms`, whichever comes first, with whether `p` came first. The timer
 * is cleared either way. Rejects only as `p` rejects.
 */
export async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)))
  try {
    return await Promise.race([p.then(() => true as const), timedOut])
  } finally {
    clearTimeout(timer)
  }
}
