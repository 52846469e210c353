/**
 * The deadline of the keystore work done for one request.
 *
 * @module
 */

/**
 * How long one keystore call made for a request may take. The KMS routes' deadline is 15 s
 * (routes.ts), and when it passes the connection is cut, as KES's write deadline does: keystore
 * work must give up before it, so that the client gets the documented 502 (docs/etcd.md,
 * docs/vault.md) instead of a dropped connection. 12 s leaves 3 s for the answer, and stays
 * above etcd's default call deadline (10 s) so that etcd's own time-out, which says the store is
 * unreachable and so lets `cache.expiry.offline` serve cached keys, still ends an etcd call first.
 * Vault's per-attempt timeout (15 s) and its retries are cut short by it.
 */
export const STORE_CALL_TIMEOUT_MS = 12_000

/**
 * storeSignal returns a signal that aborts with `signal` (if given) or after `ms` (default
 * {@link STORE_CALL_TIMEOUT_MS}) with a `TimeoutError`, whichever comes first. Never throws.
 *
 * Not `AbortSignal.any([signal, AbortSignal.timeout(ms)])`: on Node 20 the timeout signal inside
 * `any` is garbage-collected and the combined signal then never times out (nodejs/node#57736), so a
 * hanging keystore ran into the route's deadline after all. Here the timer holds the controller.
 */
export function storeSignal(signal?: AbortSignal, ms = STORE_CALL_TIMEOUT_MS): AbortSignal {
  const controller = new AbortController()
  if (signal?.aborted === true) {
    controller.abort(signal.reason)
    return controller.signal
  }
  const onAbort = (): void => {
    clearTimeout(timer)
    controller.abort(signal?.reason)
  }
  const timer = setTimeout(() => {
    signal?.removeEventListener('abort', onAbort)
    controller.abort(new DOMException('The operation was aborted due to timeout', 'TimeoutError'))
  }, ms)
  // A deadline must not keep the process alive (AbortSignal.timeout's timer does not either).
  timer.unref()
  signal?.addEventListener('abort', onAbort, { once: true })
  return controller.signal
}

/**
 * untilDeadline settles as `work` does, or rejects with `signal`'s reason once it aborts first. The work itself
 * goes on: it may be a fetch shared with other requests (the key cache's single flight), each waiting only until
 * its own deadline. With no signal it is `work`. Throws (rejects with) what `work` rejects with, or the reason.
 */
export function untilDeadline<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return work
  if (signal.aborted) return Promise.reject(signal.reason as Error)
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error)
    signal.addEventListener('abort', onAbort, { once: true })
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}
