// Runs a CLI entry point. In a source checkout (src/ present) it runs the TypeScript sources through tsx,
// so an old build can never shadow an edit; an installed package or the Docker image (no src/) runs the
// compiled dist/. KEYHOLD_USE_DIST=1 forces dist/ in a checkout (after `npm run build`).
import { existsSync } from 'node:fs'

export async function launch(entry) {
  const source = new URL(`../src/cli/${entry}.ts`, import.meta.url)
  const dist = new URL(`../dist/src/cli/${entry}.js`, import.meta.url)
  const useDist = process.env.KEYHOLD_FROM_SOURCE !== '1' && existsSync(dist) && (!existsSync(source) || process.env.KEYHOLD_USE_DIST === '1')
  if (useDist) {
    await import(dist.href)
    return
  }
  const { register } = await import('tsx/esm/api')
  register()
  await import(source.href)
}
