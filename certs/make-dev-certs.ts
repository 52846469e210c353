/**
 * Makes the development PKI: `node --import tsx certs/make-dev-certs.ts [DIR]` (default: certs/dev).
 * Prints the paths and the identities to put into policy.yml. Files that exist are kept.
 */
import { ensureDevCerts } from '../src/pki/dev-certs.js'

const dir = process.argv[2] ?? new URL('./dev', import.meta.url).pathname
const certs = await ensureDevCerts(dir)
console.log(JSON.stringify(certs, null, 2))
