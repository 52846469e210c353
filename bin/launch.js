// Runs a CLI entry point from dist/ when built, else from the TypeScript sources through tsx.
// KEYHOLD_FROM_SOURCE=1 forces the sources (the tests set it, so a stale dist/ is never tested).
import { existsSync } from 'node:fs'

export async function launch(entry) {
  const dist = new URL(`../dist/src/cli/${entry}.js`, import.meta.url)
  if (process.env.KEYHOLD_FROM_SOURCE !== '1' && existsSync(dist)) {
    await import(dist.href)
    return
  }
  const { register } = await import('tsx/esm/api')
  register()
  await import(new URL(`../src/cli/${entry}.ts`, import.meta.url).href)
}
