/**
 * HOST:PORT addresses, as the listen flags and configs take them: `host:port`, `[v6]:port` or `:port`.
 *
 * @module
 */

/**
 * parseHostPort splits `host:port`, `[v6]:port` or `:port` (host '' then: the caller picks its wildcard).
 * The port is 0-65535; a bare host may not contain ':' or brackets. Returns undefined for anything else;
 * throws nothing.
 */
export function parseHostPort(address: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(address)
  if (m === null || Number(m[3]) > 65535) return undefined
  return { host: m[1] ?? m[2]!, port: Number(m[3]) }
}
