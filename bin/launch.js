// Runs a CLI entry point: the compiled dist/ whenever it matches the sources, the TypeScript sources
// through tsx otherwise.
//   - An installed package or the Docker image (no src/) runs dist/.
//   - A checkout runs dist/ when dist/.build-stamp matches the sources' fingerprint (bin/build-stamp.js):
//     `npm start` and `npm run build` write it. After an edit, the sources run through tsx (slower, never
//     stale) until the next build.
//   - KEYHOLD_FROM_SOURCE=1 always runs the sources (the tests do, so they test what is in src/).
import { existsSync } from 'node:fs'
import { ROOT, isBuildCurrent } from './build-stamp.js'

export async function launch(entry) {
  // Each command has its tree under src/cli/ with main.ts as its entry; the quick start is one file.
  const file = entry === 'quickstart' ? entry : `${entry}/main`
  const source = new URL(`../src/cli/${file}.ts`, import.meta.url)
  const dist = new URL(`../dist/src/cli/${file}.js`, import.meta.url)
  if (process.env.KEYHOLD_FROM_SOURCE !== '1' && existsSync(dist) && (!existsSync(source) || isBuildCurrent())) {
    await import(dist.href)
    return
  }
  if (!existsSync(source)) {
    process.stderr.write(`keyhold: ${entry} is not built: run 'npm run build' in ${ROOT}\n`)
    process.exit(1)
  }
  if (existsSync(dist) && process.env.KEYHOLD_FROM_SOURCE !== '1' && process.stderr.isTTY) {
    process.stderr.write(`(${entry}: the sources changed since the last build, so they run through tsx; 'npm run build' makes it fast again)\n`)
  }
  let register
  try {
    ;({ register } = await import('tsx/esm/api'))
  } catch (err) {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND') throw err
    process.stderr.write(`keyhold: the dependencies are not installed: run 'npm ci' (or 'npm start', which installs them) in ${ROOT}\n`)
    process.exit(1)
  }
  register()
  await import(source.href)
}
