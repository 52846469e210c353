/**
 * The audit log of one server process: turns records into events and hands them to the writer
 * (stdout, a chained file, or the cluster primary) and to the live `/v1/log/audit` stream.
 *
 * @module
 */
import { destination } from 'pino'
import { auditJson, type AuditRecord } from './audit-record.js'
import { openAuditFile, type AuditFile, type AuditProblemReport } from './audit-file.js'
import type { AuditTarget } from './audit-target.js'
import { LogHub } from './log-hub.js'

/** AuditWriter persists audit events in order. `write` must not block the request path. */
export interface AuditWriter {
  /**
   * write takes one or more events, each serialised by `JSON.stringify` (so without newlines),
   * joined by '\n' with none at the end: events cross from workers to the primary as such text.
   */
  write(jsonLines: string): void
  /** Flushes and releases the target. Idempotent; throws nothing. */
  close(): Promise<void>
}

/** The stdout writer: plain JSON lines, written asynchronously (process.stdout is synchronous on pipes). */
class StdoutWriter implements AuditWriter {
  readonly #out = destination({ dest: 1, sync: false, minLength: 0 })
  #closed = false

  write(jsonLines: string): void {
    if (!this.#closed) this.#out.write(`${jsonLines}\n`)
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    // The fd is stdout: flush what is queued but never close it.
    await new Promise<void>((resolve) => this.#out.flush(() => resolve()))
  }
}

/** The file writer: hash-chained lines (see audit-chain.ts). */
class FileWriter implements AuditWriter {
  constructor(readonly file: AuditFile) {}

  write(jsonLines: string): void {
    this.file.appendJson(jsonLines)
  }

  close(): Promise<void> {
    return this.file.close()
  }
}

/** The writer used when the audit log is off: the stream still works. */
const discard: AuditWriter = { write() {}, close: () => Promise.resolve() }

/**
 * openAuditWriter opens the writer for a target in this process (a cluster worker uses the
 * primary's instead: see createKmsObservability); a file target tells `report` when its writes fail
 * and resume (default: a line on stderr). Throws AuditFileError when a file target cannot be opened
 * or continued.
 */
export async function openAuditWriter(target: AuditTarget, report?: AuditProblemReport): Promise<AuditWriter> {
  switch (target.kind) {
    case 'off':
      return discard
    case 'stdout':
      return new StdoutWriter()
    case 'file':
      return new FileWriter(await openAuditFile(target.path, report))
  }
}

/** Options of {@link AuditLog}. */
export interface AuditLogOptions {
  writer?: AuditWriter
  /** Called once per event, e.g. to count kes_log_audit_events. */
  onEvent?: () => void
}

/** AuditLog records audited requests. `record` throws nothing. */
export class AuditLog {
  /** The live stream of this process's events (`/v1/log/audit`). */
  readonly hub = new LogHub()
  #writer: AuditWriter
  readonly #onEvent: (() => void) | undefined

  constructor(options: AuditLogOptions = {}) {
    this.#writer = options.writer ?? discard
    this.#onEvent = options.onEvent
  }

  /** record writes one audited request to the writer and the live stream. */
  record(record: AuditRecord): void {
    // Serialised once here for every consumer (writer, stream, cluster primary).
    if (this.#writer !== discard || this.hub.active) {
      const json = auditJson(record)
      this.#writer.write(json)
      this.hub.publishJson(json)
    }
    this.#onEvent?.()
  }

  /** setWriter swaps the writer (on reload) and returns the previous one for the caller to close. */
  setWriter(writer: AuditWriter): AuditWriter {
    const old = this.#writer
    this.#writer = writer
    return old
  }

  /** close flushes and closes the writer. Idempotent; throws nothing. */
  close(): Promise<void> {
    return this.#writer.close()
  }
}
