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
 * storeSignal returns a signal that aborts with `signal` (if given) or after
 * {@link STORE_CALL_TIMEOUT_MS}, whichever comes first. Never throws.
 */
export function storeSignal(signal?: AbortSignal): AbortSignal {
  const deadline = AbortSignal.timeout(STORE_CALL_TIMEOUT_MS)
  return signal === undefined ? deadline : AbortSignal.any([signal, deadline])
}
