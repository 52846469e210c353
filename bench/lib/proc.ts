/**
 * Process accounting from /proc (Linux): CPU time and resident memory of a server and its
 * worker processes. CPU per request is the benchmark's contention-proof measure: on a shared
 * machine the rates move with the neighbours' load, the CPU a request costs much less.
 *
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs'

/** The clock ticks per second of /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICK_MS = 10

function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // Fields after the ')' that closes the command name: state (3), ppid (4), … utime (14), stime (15).
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  } catch {
    return undefined
  }
}

/** childrenOf lists the direct children of `pid`. Throws nothing. */
export function childrenOf(pid: number): number[] {
  const out: number[] = []
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue
    const f = statFields(Number(d))
    if (f && Number(f[1]) === pid) out.push(Number(d))
  }
  return out
}

/** cpuMs returns the CPU time (user + system) of `pid` alone, in ms (0 when it is gone). Throws nothing. */
export function cpuMs(pid: number): number {
  const f = statFields(pid)
  return f ? (Number(f[11]) + Number(f[12])) * TICK_MS : 0
}

/** treeCpuMs returns the CPU time (user + system) of `pid` and its children, in ms. Throws nothing. */
export function treeCpuMs(pid: number): number {
  let total = 0
  for (const p of [pid, ...childrenOf(pid)]) total += cpuMs(p)
  return total
}

/** rssMiB returns the resident memory of `pid` in MiB (0 when it is gone). Throws nothing. */
export function rssMiB(pid: number): number {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
    return m ? Number(m[1]) / 1024 : 0
  } catch {
    return 0
  }
}
