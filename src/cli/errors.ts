/**
 * The one error type of both command-line tools, keyhold and keyhold-s3: a {@link CliError} is a failure the user
 * sees as its message (exit 1); a {@link UsageError} is the CliError of wrong arguments (exit 2, with a pointer
 * to the usage). Anything else a command throws is unexpected and printed with the tool's generic prefix.
 *
 * @module
 */

/** CliError is a user-facing failure: the CLI prints its message and exits 1. */
export class CliError extends Error {
  /** The message is already on the screen (a status table naming what failed): the CLI exits 1 without printing it. */
  readonly shown: boolean

  /** Creates a CLI error; throws nothing. */
  constructor(message: string, options?: { cause?: unknown; shown?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.name = 'CliError'
    this.shown = options?.shown ?? false
  }
}

/** UsageError is a CliError of wrong flags or arguments: the CLI prints it with its usage or a pointer to `--help` and exits 2. */
export class UsageError extends CliError {
  /** Creates a usage error; throws nothing. */
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}
