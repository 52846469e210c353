/**
 * Who a process is, in terms that survive PID reuse: its PID, the PID space it lives in (boot +
 * PID namespace on Linux, else the host name) and its start time. A lock file records these for
 * its owner so that another process can tell "that owner is gone" from "that PID now belongs to
 * someone else" and from "I cannot see that owner from here".
 *
 * @module
 */
import { readFileSync, readlinkSync } from 'node:fs'
import { hostname } from 'node:os'

/** ProcessIdentity: enough to recognise one process again. */
export interface ProcessIdentity {
  pid: number
  host: string
  /** Processes with equal spaces see each other's PIDs: `boot_id/pid-namespace` on Linux, else `host:NAME`. */
  space: string
  /** Start time in clock ticks since boot (Linux), or undefined where we cannot read it. */
  start?: number
}

function readOr<T>(read: () => T): T | undefined {
  try {
    return read()
  } catch {
    return undefined
  }
}

/** pidSpace names the PID namespace this process sees. Throws nothing. */
function pidSpace(): string {
  const boot = readOr(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim())
  const ns = readOr(() => readlinkSync('/proc/self/ns/pid'))
  // A container restarted in a new PID namespace, or a reboot, is a different space: there the
  // old owner's PID says nothing about the old owner.
  return boot !== undefined && ns !== undefined ? `${boot}/${ns}` : `host:${hostname()}`
}

/** startTicks reads field 22 of /proc/PID/stat: when the process started. Undefined when unreadable. */
function startTicks(pid: number): number | undefined {
  const stat = readOr(() => readFileSync(`/proc/${pid}/stat`, 'utf8'))
  if (stat === undefined) return undefined
  // The command name (field 2) may contain spaces and parentheses: count from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const ticks = Number(fields[19])
  return Number.isFinite(ticks) ? ticks : undefined
}

/** currentProcess describes this process. Throws nothing. */
export function currentProcess(): ProcessIdentity {
  const start = startTicks(process.pid)
  return { pid: process.pid, host: hostname(), space: pidSpace(), ...(start !== undefined ? { start } : {}) }
}

/**
 * processState tells whether the process `who` describes still runs: `dead` only when that is
 * provable from here (same PID space, and the PID is gone or now belongs to a process started at
 * another time), `unknown` when `who` lives in another PID space. Throws nothing.
 */
export function processState(who: ProcessIdentity): 'alive' | 'dead' | 'unknown' {
  if (who.space !== pidSpace()) return 'unknown'
  try {
    process.kill(who.pid, 0)
  } catch (err) {
    // EPERM: the PID exists but belongs to another user; only ESRCH proves it is gone.
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return 'dead'
  }
  if (who.start !== undefined) {
    const now = startTicks(who.pid)
    if (now !== undefined && now !== who.start) return 'dead' // the PID was reused
  }
  return 'alive'
}
