/**
 * The URLs a listener bound to HOST:PORT can be reached at: the host itself, or for a wildcard
 * (`:7373`, `0.0.0.0`, `::`) every address of this machine's interfaces, so a banner never says
 * 127.0.0.1 alone for a server that every network can reach.
 *
 * @module
 */
import { networkInterfaces } from 'node:os'

/**
 * listenUrls returns `https://ADDR:PORT` for each address `host` covers, loopback first.
 * `interfaces` defaults to the machine's. Throws nothing.
 */
export function listenUrls(host: string, port: number, interfaces = networkInterfaces()): string[] {
  const bare = host.replace(/^\[|\]$/g, '')
  const wildcard = bare === '' || bare === '0.0.0.0' || bare === '::'
  const fmt = (a: string) => `https://${a.includes(':') ? `[${a}]` : a}:${port}`
  if (!wildcard) return [fmt(bare)]
  // 0.0.0.0 binds IPv4 only; '' and '::' bind both families (Node listens dual-stack).
  const families = bare === '0.0.0.0' ? ['IPv4'] : ['IPv4', 'IPv6']
  const addrs = Object.values(interfaces)
    .flatMap((list) => list ?? [])
    .filter((i) => families.includes(i.family) && !(i.family === 'IPv6' && i.scopeid !== undefined && i.scopeid !== 0))
    .sort((a, b) => Number(b.internal) - Number(a.internal))
    .map((i) => i.address)
  return [...new Set(addrs)].map(fmt)
}
