/**
 * The error log's line format: JSON with an ISO time and a level name (as the audit log writes
 * them), and the redact list as a backstop for secrets passed by mistake.
 */
import { describe, expect, it } from 'vitest'
import { createLogger } from '../../../src/kms/observability/logger.js'

function logged(write: (log: ReturnType<typeof createLogger>) => void): Record<string, unknown> {
  const lines: string[] = []
  const log = createLogger('info', { write: (line: string) => void lines.push(line) })
  write(log)
  expect(lines).toHaveLength(1)
  return JSON.parse(lines[0]!) as Record<string, unknown>
}

describe('error log format', () => {
  it('writes ISO times and level names', () => {
    const line = logged((log) => log.warn({ path: '/v1/status' }, 'keystore is slow'))
    expect(line).toMatchObject({ level: 'warn', msg: 'keystore is slow', path: '/v1/status', svc: 'keyhold' })
    expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/)
    expect(Math.abs(Date.parse(line.time as string) - Date.now())).toBeLessThan(60_000)
  })

  it('redacts secrets passed by mistake', () => {
    const line = logged((log) => log.error({ plaintext: 'c2VjcmV0', req: { secret: 's3cr3t' } }, 'oops'))
    expect(JSON.stringify(line)).not.toMatch(/c2VjcmV0|s3cr3t/)
    expect(line.level).toBe('error')
  })
})
