/**
 * The one log line format of both servers (src/lib/logger.ts): pino JSON with an ISO time, the level's name and
 * the service, the same for Keyhold's error log and keyhold-s3's log; secrets passed by mistake are redacted.
 */
import { describe, expect, it } from 'vitest'
import { createLogger } from '../../src/kms/observability/logger.js'
import { createServiceLogger, messageLog, silentMessageLog } from '../../src/lib/logger.js'

function lines(): { lines: string[]; write: (line: string) => void } {
  const out: string[] = []
  return { lines: out, write: (line) => void out.push(line) }
}

describe('the shared log line format', () => {
  it('keyhold-s3 messages are JSON lines with an ISO time, level name and svc, like the KMS error log', () => {
    const s3 = lines()
    messageLog(createServiceLogger('keyhold-s3', 'info', s3)).info('KMS is unreachable: 127.0.0.1:7373: connect ECONNREFUSED')
    const kms = lines()
    createLogger('info', kms).info('keystore is slow')
    const [s3Line, kmsLine] = [JSON.parse(s3.lines[0]!) as Record<string, unknown>, JSON.parse(kms.lines[0]!) as Record<string, unknown>]
    expect(s3Line).toEqual({ level: 'info', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/), svc: 'keyhold-s3', msg: 'KMS is unreachable: 127.0.0.1:7373: connect ECONNREFUSED' })
    expect(Object.keys(s3Line)).toEqual(Object.keys(kmsLine))
    expect(kmsLine).toMatchObject({ level: 'info', svc: 'keyhold', msg: 'keystore is slow' })
    expect(s3.lines[0]!.endsWith('}\n')).toBe(true)
  })

  it('drops lines below the level and redacts secrets passed by mistake', () => {
    const out = lines()
    const log = createServiceLogger('keyhold-s3', 'warn', out)
    log.info('not written')
    log.warn({ secret: 'minio-root-password', req: { password: 'p4ss', headers: { authorization: 'AWS4-HMAC-SHA256 Credential=x' } } }, 'oops')
    expect(out.lines).toHaveLength(1)
    expect(out.lines[0]).not.toMatch(/minio-root-password|p4ss|Credential=x/)
    expect(JSON.parse(out.lines[0]!)).toMatchObject({ level: 'warn', msg: 'oops' })
  })

  it('messageLog writes each message at its level, and silentMessageLog writes nothing', () => {
    const out = lines()
    const log = messageLog(createServiceLogger('keyhold-s3', 'info', out))
    log.info('certificates reloaded (SIGHUP)')
    log.warn('certificate reload failed, keeping the old ones: bad key')
    log.error('internal error (request 1): boom')
    expect(out.lines.map((l) => JSON.parse(l) as Record<string, unknown>).map((l) => [l.level, l.msg])).toEqual([
      ['info', 'certificates reloaded (SIGHUP)'],
      ['warn', 'certificate reload failed, keeping the old ones: bad key'],
      ['error', 'internal error (request 1): boom'],
    ])
    expect(Object.isFrozen(silentMessageLog)).toBe(true)
    expect(() => silentMessageLog.error('nothing')).not.toThrow()
  })

  it('writes no raw bidi, C1 or invisible character, in either server\'s log: a key name cannot reorder or hide text on a terminal', () => {
    // What a client can put in an object key or a KMS error text, which both servers log.
    const hostile = 'object "evil\u202egpj.exe" \u009b2J admin\u200b \u2028 tag\u{e0041} ok'
    const s3 = lines()
    messageLog(createServiceLogger('keyhold-s3', 'info', s3)).warn(hostile)
    const kms = lines()
    createLogger('info', kms).warn(hostile)
    for (const line of [s3.lines[0]!, kms.lines[0]!]) {
      expect(line).not.toMatch(/[\u0080-\u009f\u202e\u200b\u2028]|\u{e0041}/u)
      expect(line).toContain('evil\\u202egpj.exe')
      // The escapes sit inside the JSON string: a log reader gets the very same message back.
      expect((JSON.parse(line) as { msg: string }).msg).toBe(hostile)
    }
  })
})
