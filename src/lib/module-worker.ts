/**
 * Worker threads that run one of the package's own modules, from the TypeScript sources as from the build.
 *
 * @module
 */
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { Worker, type ResourceLimits } from 'node:worker_threads'

// In a source checkout the worker is TypeScript: a worker does not inherit the main thread's tsx hooks
// (Node 20), so a tiny CommonJS bootstrap registers them before importing the worker module.
const BOOTSTRAP = `const { workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsx !== undefined) (await import(workerData.tsx)).register();
  await import(workerData.url);
})().catch((err) => { throw err });`

function workerData(callerUrl: string, name: string): { url: string; tsx: string | undefined } {
  const source = callerUrl.endsWith('.ts')
  const url = new URL(`./${name}${source ? '.ts' : '.js'}`, callerUrl).href
  if (!source) return { url, tsx: undefined }
  const resolve = (import.meta as { resolve?: (s: string) => string }).resolve
  if (typeof resolve === 'function') return { url, tsx: resolve('tsx/esm/api') }
  // Test runners may not offer import.meta.resolve: find the package and its documented ESM entry.
  const pkg = createRequire(import.meta.url).resolve('tsx/package.json')
  return { url, tsx: pathToFileURL(join(dirname(pkg), 'dist/esm/api/index.mjs')).href }
}

/**
 * startModuleWorker starts a worker thread running the module `name` (no extension) beside the module at
 * `callerUrl` (its `import.meta.url`): the `.ts` file through tsx in a source checkout, the `.js` file in the
 * build. Throws what `new Worker` throws.
 */
export function startModuleWorker(callerUrl: string, name: string, resourceLimits: ResourceLimits): Worker {
  return new Worker(BOOTSTRAP, { eval: true, workerData: workerData(callerUrl, name), resourceLimits })
}
