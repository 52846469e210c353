/**
 * `keyhold audit verify FILE`: checks the hash chain of an audit file written with
 * `log.audit: <path>` and reports the first record that was changed, removed or reordered.
 *
 * Exit codes: 0 when the chain is intact, 1 when it is broken or the file cannot be read,
 * 2 for a usage error.
 *
 * @module
 */
import { createReadStream } from 'node:fs'
import { createInterface } from 'node:readline'
import { ChainVerifier, type VerifyResult } from '../../kms/observability/audit-chain.js'

const USAGE = `Usage:
    keyhold audit verify FILE

Checks the hash chain of an audit log file and reports the first record that
was changed, removed or reordered. Records cut off the end of the file cannot
be detected from the file alone: compare the count with your own records.
`

/**
 * verifyAuditFile streams `path` through the chain verifier. Throws the file system error when
 * the file cannot be read.
 */
export async function verifyAuditFile(path: string): Promise<VerifyResult> {
  const verifier = new ChainVerifier()
  const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity })
  try {
    for await (const line of lines) {
      if (verifier.push(line)) break
    }
  } finally {
    lines.close()
  }
  return verifier.result()
}

/**
 * runAuditCommand runs `keyhold audit …` and sets `process.exitCode`. Throws nothing: errors
 * are printed to stderr.
 */
export async function runAuditCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv
  if (sub === '-h' || sub === '--help' || (sub === 'verify' && (rest[0] === '-h' || rest[0] === '--help'))) {
    process.stdout.write(USAGE)
    return
  }
  if (sub !== 'verify' || rest.length !== 1 || rest[0]!.startsWith('-')) {
    process.stderr.write(`Error: ${sub === 'verify' ? 'want exactly one FILE' : `unknown audit command '${sub ?? ''}'`}\n\n${USAGE}`)
    process.exitCode = 2
    return
  }
  const file = rest[0]!
  let result: VerifyResult
  try {
    result = await verifyAuditFile(file)
  } catch (err) {
    process.stderr.write(`Error: cannot read audit file '${file}': ${(err as Error).message}\n`)
    process.exitCode = 1
    return
  }
  if (result.ok) {
    process.stdout.write(`OK: ${result.count} records, chain intact (last hash ${result.state.hash})\n`)
    return
  }
  process.stderr.write(`FAILED: ${file}: ${result.message}\n`)
  process.exitCode = 1
}
