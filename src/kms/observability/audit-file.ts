/**
 * The audit file: chained JSON lines appended to one file, continuing the chain across restarts.
 *
 * Writes are asynchronous and batched (lines that arrive while a write is in flight go out in
 * the next one), so the request path never waits for the disk and the order of lines is the
 * order of {@link AuditFile.append} calls.
 *
 * @module
 */
import { open, type FileHandle } from 'node:fs/promises'
import { acquireFileLock, LockHeldError, type FileLock } from '../../lib/file-lock.js'
import { AuditChain, GENESIS_HASH, parseSealedLine, type ChainState } from './audit-chain.js'

/** How much of the file's end is read to find the last record: far more than one record. */
const TAIL_BYTES = 256 * 1024

/** AuditFileError: the audit file cannot be opened or continued. */
export class AuditFileError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'AuditFileError'
  }
}

/**
 * readChainState returns the chain state at the end of an open audit file (genesis for an empty
 * file). Throws AuditFileError when the last line is not an intact record: appending to a
 * damaged tail would hide the damage, so an operator must verify the file and move it aside.
 */
async function readChainState(handle: FileHandle, path: string): Promise<ChainState> {
  const { size } = await handle.stat()
  if (size === 0) return { seq: 0, hash: GENESIS_HASH }
  const length = Math.min(size, TAIL_BYTES)
  const buf = Buffer.alloc(length)
  await handle.read(buf, 0, length, size - length)
  const text = buf.toString('utf8')
  if (!text.endsWith('\n')) {
    throw new AuditFileError(`audit file '${path}' ends with an incomplete record: run 'keyhold audit verify' and move it aside`)
  }
  const start = text.lastIndexOf('\n', text.length - 2) + 1
  if (start === 0 && length < size) {
    throw new AuditFileError(`audit file '${path}': last record is longer than ${TAIL_BYTES} bytes`)
  }
  const sealed = parseSealedLine(text.slice(start, -1))
  if (typeof sealed === 'string') {
    throw new AuditFileError(`audit file '${path}': last record is damaged (${sealed}): run 'keyhold audit verify' and move it aside`)
  }
  return { seq: sealed.seq, hash: sealed.hash }
}

/** AuditFile appends chained audit lines to one file. Create it with {@link openAuditFile}. */
export class AuditFile {
  readonly path: string
  readonly #handle: FileHandle
  readonly #chain: AuditChain
  readonly #lock: FileLock | undefined
  #pending: string[] = []
  #writing: Promise<void> | undefined
  #closed = false
  #failure: unknown

  /** Use {@link openAuditFile}. */
  constructor(path: string, handle: FileHandle, state: ChainState, lock?: FileLock) {
    this.path = path
    this.#handle = handle
    this.#chain = new AuditChain(state)
    this.#lock = lock
  }

  /** The chain state after the last appended record. */
  get state(): ChainState {
    return this.#chain.state
  }

  /** The first write error, if the disk failed: later records are not written. */
  get failure(): unknown {
    return this.#failure
  }

  /** append seals `event` and queues it for writing. Throws nothing; ignored after close. */
  append(event: object): void {
    this.appendJson(JSON.stringify(event))
  }

  /**
   * appendJson seals serialised events (one `JSON.stringify`'d object per line, joined by '\n')
   * and queues them as one write. Throws nothing; ignored after close.
   */
  appendJson(jsonLines: string): void {
    if (this.#closed || this.#failure !== undefined) return
    this.#pending.push(this.#chain.sealBatch(jsonLines))
    this.#writing ??= this.#drain()
  }

  /** flush resolves once every appended record is on its way to the disk. Throws nothing. */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing
  }

  /** close flushes and closes the file. Idempotent; throws nothing. */
  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.flush()
    await this.#handle.close().catch(() => undefined)
    this.#lock?.release()
  }

  async #drain(): Promise<void> {
    try {
      while (this.#pending.length > 0) {
        const batch = this.#pending.join('')
        this.#pending = []
        await this.#handle.appendFile(batch, 'utf8')
      }
    } catch (err) {
      this.#failure = err
      this.#pending = []
    } finally {
      this.#writing = undefined
    }
  }
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
export async function openAuditFile(path: string): Promise<AuditFile> {
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
    return new AuditFile(path, handle, await readChainState(handle, path), lock)
  } catch (err) {
    await handle.close().catch(() => undefined)
    lock.release()
    throw err
  }
}
