// `npm run build`: compiles src/ and backends/ to dist/ with tsc, then records the sources' fingerprint
// in dist/.build-stamp (bin/build-stamp.js) so the launcher knows the build matches the sources.
// The fingerprint is taken before compiling: a file edited during the build leaves the stamp stale.
import { spawnSync } from 'node:child_process'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { ROOT, sourceFingerprint, stampFile } from '../bin/build-stamp.js'

const fingerprint = sourceFingerprint()
rmSync(stampFile(), { force: true })
// Start from empty output trees: a file moved or deleted in src/ must not live on in dist/ (and in the package).
for (const tree of ['src', 'backends']) rmSync(join(ROOT, 'dist', tree), { recursive: true, force: true })
const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc')
const result = spawnSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit', cwd: ROOT })
if (result.status !== 0) process.exit(result.status ?? 1)
mkdirSync(dirname(stampFile()), { recursive: true })
writeFileSync(stampFile(), fingerprint + '\n')
