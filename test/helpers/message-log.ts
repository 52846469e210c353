/**
 * recordLog: keyhold-s3's real log (src/lib/logger.ts: pino JSON lines, levels and all) written to memory, so a
 * test can check both what was said and at which level.
 */
import { createServiceLogger, messageLog, type MessageLog } from '../../src/lib/logger.js'

/** One logged line, parsed. */
export interface LogEntry {
  level: string
  msg: string
  svc: string
}

/** What {@link recordLog} gives a test. */
export interface LogRecorder {
  /** Hand this to the code under test. */
  log: MessageLog
  /** The raw JSON lines, as they would reach stderr. */
  lines: string[]
  /** The lines parsed. */
  entries: LogEntry[]
  /** The messages alone, in order. */
  messages: string[]
  /** clear forgets everything recorded so far. */
  clear(): void
}

/** recordLog makes a recorder at level info. */
export function recordLog(): LogRecorder {
  const recorder: LogRecorder = {
    lines: [], entries: [], messages: [],
    log: messageLog(createServiceLogger('keyhold-s3', 'info', {
      write: (line: string) => {
        const entry = JSON.parse(line) as LogEntry
        recorder.lines.push(line)
        recorder.entries.push(entry)
        recorder.messages.push(entry.msg)
      },
    })),
    clear() {
      recorder.lines.length = 0
      recorder.entries.length = 0
      recorder.messages.length = 0
    },
  }
  return recorder
}
