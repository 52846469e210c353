/**
 * Small helpers the command groups share.
 *
 * @module
 */
import { isBase64 } from '../args.js'
import { CliError, UsageError } from '../errors.js'

/** fail throws a CliError with `message`: the CLI prints `Error: <message>` and exits 1. */
export function fail(message: string): never {
  throw new CliError(message)
}

/** collect drains an async iterable into an array. Throws what the iterable throws. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of items) out.push(item)
  return out
}

/** decodeBase64Arg decodes a base64 argument. Throws UsageError naming `what` when it is not base64. */
export function decodeBase64Arg(value: string, what: string, command: string): Buffer {
  if (!isBase64(value)) throw new UsageError(`invalid ${what}: not base64. See 'keyhold ${command} --help'`)
  return Buffer.from(value, 'base64')
}

/** failedTo runs `op` and turns a failure into `failed to <what>: <server message>`, KES's wording. */
export async function failedTo<T>(what: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op()
  } catch (err) {
    if (err instanceof CliError) throw err
    throw new CliError(`failed to ${what}: ${(err as Error).message}`, { cause: err })
  }
}
