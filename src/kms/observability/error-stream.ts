/**
 * The error log's output: lines go to stderr (asynchronously) and, as `{"message": "<line>"}`,
 * to the live `/v1/log/error` stream, which is KES's error event shape.
 *
 * The error logger (logger.ts) writes through an {@link ErrorLogOutput}; it is a pino
 * destination (any object with `write(line)`).
 *
 * @module
 */
import { destination } from 'pino'
import { LogHub } from './log-hub.js'

/** Where the tee writes besides the stream: stderr by default. */
export interface LineSink {
  write(line: string): unknown
}

/** ErrorLogOutput tees error log lines to a sink and the live stream. `write` throws nothing. */
export class ErrorLogOutput {
  /** The live stream of this process's error events (`/v1/log/error`). */
  readonly hub = new LogHub()
  readonly #sink: LineSink
  #onEvent: (() => void) | undefined

  /** Writes to `sink`, default stderr through an asynchronous writer. */
  constructor(sink?: LineSink) {
    this.#sink = sink ?? destination({ dest: 2, sync: false, minLength: 0 })
  }

  /** onEvent registers the one callback run per line, e.g. to count kes_log_error_events. */
  onEvent(fn: () => void): void {
    this.#onEvent = fn
  }

  /** write takes one log line (pino writes whole lines, newline included). */
  write(line: string): void {
    this.#sink.write(line)
    this.#onEvent?.()
    this.hub.publish({ message: line.replace(/\n$/, '') })
  }
}
