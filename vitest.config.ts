import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: forks isolate native modules (better-sqlite3) and signal handlers per file.
    pool: 'forks',
    maxWorkers: 2,
  },
})
