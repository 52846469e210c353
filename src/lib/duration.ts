/**
 * Go-style durations (`5m`, `30s`, `1h30m`, `250ms`, `0`), as KES's config uses them.
 *
 * @module
 */

const UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
const PART = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/y

/**
 * parseDuration converts a Go duration string into milliseconds.
 * Returns undefined for anything that is not a non-negative Go duration.
 */
export function parseDuration(s: string): number | undefined {
  const text = s.trim()
  if (text === '0') return 0
  if (text === '') return undefined
  let total = 0
  PART.lastIndex = 0
  while (PART.lastIndex < text.length) {
    const at = PART.lastIndex
    const m = PART.exec(text)
    if (m === null || m.index !== at) return undefined
    total += Number(m[1]) * (UNITS[m[2]!] ?? Number.NaN)
  }
  return Number.isFinite(total) ? Math.round(total) : undefined
}
