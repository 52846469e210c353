/**
 * `keyhold server`: starts the KMS server. (Placeholder until the server lands.)
 *
 * @module
 */

/** runServerCommand parses `keyhold server` arguments and runs the server until it is stopped. */
export function runServerCommand(_argv: string[]): Promise<void> {
  return Promise.reject(new Error('keyhold server: not implemented yet'))
}
