/**
 * The audit file: chained JSON lines appended to one file, continuing the chain across restarts.
 *
 * Writes are asynchronous and batched (lines that arrive while a write is in flight go out in
 * the next one), so the request path never waits for the disk and the order of lines is the
 * order of {@link AuditFile.append} calls.
 *
 * A write that fails (a full disk, an I/O error) loses nothing it can keep: the file is cut back to
 * its last whole record, the records stay queued in memory (up to {@link MAX_QUEUED_BYTES}) and the
 * write is retried every second, each turn of events reported. Before, the first failure silently
 * ended auditing for good and left a torn record that stopped the next start (found by a
 * fault-injection round).
 *
 * @module
 */
import { open, type FileHandle } from 'node:fs/promises'
import { acquireFileLock, LockHeldError, type FileLock } from '../../lib/file-lock.js'
import { AuditChain, GENESIS_HASH, parseSealedLine, type ChainState } from './audit-chain.js'

/** How much of the file's end is read to find the last record: far more than one record. */
const TAIL_BYTES = 256 * 1024
/** How long a failed write waits before it is tried again. */
const RETRY_MS = 1_000
/**
 * How many bytes of records a failing file keeps queued: minutes of a busy server's records. Past it new
 * records are counted and dropped, never sealed, so the chain on disk stays whole; the count is reported
 * when writing resumes.
 */
export const MAX_QUEUED_BYTES = 64 << 20

/**
 * Where an audit file reports write failures (`ended` false) and their end (`ended` true: writing resumed, or a
 * torn record was cut at start); the default is a line on stderr.
 */
export type AuditProblemReport = (message: string, ended: boolean) => void

const toStderr: AuditProblemReport = (message) => {
  process.stderr.write(`keyhold: ${message}\n`)
}

const errnoOf = (err: unknown): string =>
  typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : (err as Error)?.message ?? String(err)

/** AuditFileError: the audit file cannot be opened or continued. */
export class AuditFileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'AuditFileError'
  }
}

/**
 * readChainState returns the chain state at the end of an open audit file (genesis for an empty
 * file), and how many bytes of an incomplete last record it cut: a line without its newline after an
 * intact sealed record was a write cut short (a crash, a full disk) and never a whole record, so it is
 * removed, and reported, rather than stopping the server. Throws AuditFileError when the last whole
 * line is not an intact record, or there is none before the incomplete one (nothing says the file is an
 * audit file): appending to a damaged tail would hide the damage, so an operator must verify the file
 * and move it aside.
 */
async function readChainState(handle: FileHandle, path: string): Promise<{ state: ChainState; size: number; cut: number }> {
  const { size } = await handle.stat()
  if (size === 0) return { state: { seq: 0, hash: GENESIS_HASH }, size, cut: 0 }
  const length = Math.min(size, TAIL_BYTES)
  const buf = Buffer.alloc(length)
  await handle.read(buf, 0, length, size - length)
  let end = buf.length
  if (buf[end - 1] !== 0x0a) {
    end = buf.lastIndexOf(0x0a) + 1
    if (end === 0 && length < size) throw new AuditFileError(`audit file '${path}': last record is longer than ${TAIL_BYTES} bytes`)
  }
  const whole = size - length + end
  // Without one whole record before it, nothing says this is an audit file (a path set to the wrong file): refuse.
  if (whole === 0) {
    throw new AuditFileError(`audit file '${path}' ends with an incomplete record: run 'keyhold audit verify' and move it aside`)
  }
  const text = buf.subarray(0, end).toString('utf8')
  const start = text.lastIndexOf('\n', text.length - 2) + 1
  if (start === 0 && size - length > 0) {
    throw new AuditFileError(`audit file '${path}': last record is longer than ${TAIL_BYTES} bytes`)
  }
  const sealed = parseSealedLine(text.slice(start, -1))
  if (typeof sealed === 'string') {
    throw new AuditFileError(`audit file '${path}': last record is damaged (${sealed}): run 'keyhold audit verify' and move it aside`)
  }
  if (whole < size) await handle.truncate(whole)
  return { state: { seq: sealed.seq, hash: sealed.hash }, size: whole, cut: size - whole }
}

/** AuditFile appends chained audit lines to one file. Create it with {@link openAuditFile}. */
export class AuditFile {
  readonly path: string
  readonly #handle: FileHandle
  readonly #chain: AuditChain
  readonly #lock: FileLock | undefined
  readonly #report: AuditProblemReport
  /** Sealed batches not yet on disk, oldest first, and their size in bytes. */
  #pending: string[] = []
  #pendingBytes = 0
  /** The file's size after its last whole record: where a failed write is cut back to. */
  #size: number
  #writing: Promise<void> | undefined
  #retry: NodeJS.Timeout | undefined
  #closed = false
  #failure: unknown
  /** Records dropped, unsealed, while the queue was full. */
  #dropped = 0
  /** A failed write may have left part of a record past {@link #size}: cut it before writing again. */
  #torn = false

  /** Use {@link openAuditFile}. */
  constructor(path: string, handle: FileHandle, state: ChainState, lock?: FileLock, options: { size?: number; report?: AuditProblemReport } = {}) {
    this.path = path
    this.#handle = handle
    this.#chain = new AuditChain(state)
    this.#lock = lock
    this.#size = options.size ?? 0
    this.#report = options.report ?? toStderr
  }

  /** The chain state after the last appended record. */
  get state(): ChainState {
    return this.#chain.state
  }

  /** The error of the write failing now, or undefined while the file is written. */
  get failure(): unknown {
    return this.#failure
  }

  /** append seals `event` and queues it for writing. Throws nothing; ignored after close. */
  append(event: object): void {
    this.appendJson(JSON.stringify(event))
  }

  /**
   * appendJson seals serialised events (one `JSON.stringify`'d object per line, joined by '\n')
   * and queues them as one write. Throws nothing; ignored after close, and counted and dropped
   * while a failing file's queue is full.
   */
  appendJson(jsonLines: string): void {
    if (this.#closed) return
    if (this.#failure !== undefined && this.#pendingBytes >= MAX_QUEUED_BYTES) {
      // Joined by newlines with none at the end: one record more than line ends.
      this.#dropped += newlines(jsonLines) + 1
      return
    }
    const sealed = this.#chain.sealBatch(jsonLines)
    this.#pending.push(sealed)
    this.#pendingBytes += sealed.length
    if (this.#failure === undefined) this.#writing ??= this.#drain()
  }

  /** flush resolves once every appended record is on its way to the disk, or its write failed. Throws nothing. */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing
  }

  /** close tries once more to write what is queued, then closes the file. Idempotent; throws nothing. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    clearTimeout(this.#retry)
    await this.flush()
    if (this.#failure !== undefined && this.#pending.length > 0) await this.#drain()
    if (this.#failure !== undefined) {
      this.#report(`audit: closing '${this.path}' with ${newlines(this.#pending.join(''))} records unwritten (${errnoOf(this.#failure)})`, false)
    }
    await this.#handle.close().catch(() => undefined)
    this.#lock?.release()
  }

  async #drain(): Promise<void> {
    try {
      if (this.#torn) {
        // Until the partial record is gone nothing may follow it: a failed cut keeps the file failing.
        await this.#handle.truncate(this.#size)
        this.#torn = false
      }
      while (this.#pending.length > 0) {
        const text = this.#pending.join('')
        const batch = Buffer.from(text, 'utf8')
        const taken = this.#pending.length
        await this.#writeAll(batch)
        this.#size += batch.length
        this.#pending = this.#pending.slice(taken)
        this.#pendingBytes -= text.length
        if (this.#failure !== undefined) this.#resumed()
      }
    } catch (err) {
      // A write cut short leaves part of a record: cut back to the last whole one, so the chain on disk stays
      // readable and the retry appends where it should.
      this.#torn = true
      await this.#handle.truncate(this.#size).then(() => (this.#torn = false), () => undefined)
      if (this.#failure === undefined) {
        this.#report(`audit: cannot write to '${this.path}' (${errnoOf(err)}): records are kept in memory (up to ${MAX_QUEUED_BYTES >> 20} MiB) and the write is retried every ${RETRY_MS / 1000} s`, false)
      }
      this.#failure = err
      if (!this.#closed) this.#retry = setTimeout(() => { this.#writing ??= this.#drain() }, RETRY_MS).unref()
    } finally {
      this.#writing = undefined
    }
  }

  /** Writes all of `buf` at the file's end; throws the write's error (ENOSPC, EIO, ...). */
  async #writeAll(buf: Buffer): Promise<void> {
    let at = 0
    while (at < buf.length) {
      const { bytesWritten } = await this.#handle.write(buf, at, buf.length - at, null)
      at += bytesWritten
    }
  }

  #resumed(): void {
    const dropped = this.#dropped > 0 ? `; ${this.#dropped} records were dropped while the queue was full` : ''
    this.#report(`audit: writing to '${this.path}' resumed${dropped}`, true)
    this.#failure = undefined
    this.#dropped = 0
  }
}

/** newlines counts the line ends in `text`: the records of sealed batches, one fewer than those of joined events. */
function newlines(text: string): number {
  let n = 0
  for (let at = text.indexOf('\n'); at !== -1; at = text.indexOf('\n', at + 1)) n++
  return n
}

/** auditLockPath is the lock file that makes its holder the one writer of an audit file. Throws nothing. */
function auditLockPath(path: string): string {
  return `${path}.lock`
}

/**
 * openAuditFile takes the audit file's lock (see file-lock.ts), opens the file (creating it, mode
 * 0600) and continues its chain. Throws LockHeldError when another live process writes the file
 * (two writers would interleave two chains, which `keyhold audit verify` reports as tampering),
 * AuditFileError when the file cannot be opened or its last record is damaged.
 */
export async function openAuditFile(path: string, report: AuditProblemReport = toStderr): Promise<AuditFile> {
  let lock: FileLock
  try {
    lock = acquireFileLock(auditLockPath(path), { holder: 'keyhold server', what: `audit file '${path}'` })
  } catch (err) {
    if (err instanceof LockHeldError) throw err
    throw new AuditFileError(`cannot open audit file '${path}': ${(err as Error).message}`, { cause: err })
  }
  let handle: FileHandle
  try {
    handle = await open(path, 'a+', 0o600)
  } catch (err) {
    lock.release()
    throw new AuditFileError(`cannot open audit file '${path}': ${(err as Error).message}`, { cause: err })
  }
  try {
    const { state, size, cut } = await readChainState(handle, path)
    if (cut > 0) report(`audit: cut an incomplete last record (${cut} bytes) from '${path}', left by a write cut short`, true)
    return new AuditFile(path, handle, state, lock, { size, report })
  } catch (err) {
    await handle.close().catch(() => undefined)
    lock.release()
    throw err
  }
}
