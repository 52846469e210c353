/**
 * The graceful closer's order of events on a stand-in server (the real servers' closes are
 * tested in test/kms/server/graceful-close.test.ts and the keyhold-s3 stop tests): once every
 * request is answered, connections get time to write their last bytes and close by themselves
 * before anything is cut; requests still in flight at the end of the grace period are cut at once.
 */
import { EventEmitter } from 'node:events'
import type { IncomingMessage, ServerResponse } from 'node:http'
import { describe, expect, it } from 'vitest'
import { gracefulCloser, type ClosableServer } from '../../src/lib/graceful-close.js'

/** A stand-in server that records when its connections are cut and closes when told. */
function standIn(): { server: ClosableServer; request(): EventEmitter; cutAt: number[]; closeConnections(): void } {
  const listeners: Array<(req: IncomingMessage, res: ServerResponse) => void> = []
  let onClosed: (() => void) | undefined
  const cutAt: number[] = []
  return {
    server: {
      prependListener: (_event, fn) => listeners.unshift(fn),
      close: (callback) => (onClosed = callback),
      closeIdleConnections: () => undefined,
      closeAllConnections: () => {
        cutAt.push(Date.now())
        onClosed?.()
      },
    },
    request: () => {
      const res = new EventEmitter()
      for (const fn of listeners) fn({} as IncomingMessage, res as unknown as ServerResponse)
      return res
    },
    cutAt,
    // The connections finished writing and closed by themselves.
    closeConnections: () => onClosed?.(),
  }
}

describe('gracefulCloser', () => {
  it('lets answered connections close by themselves before cutting what is left', async () => {
    const s = standIn()
    const closer = gracefulCloser(s.server)
    const res = s.request()
    const started = Date.now()
    const closed = closer.close(5_000)
    setTimeout(() => res.emit('close'), 50) // answered
    setTimeout(() => s.closeConnections(), 300) // its connection flushed and closed
    expect(await closed).toBe(0)
    expect(s.cutAt).toHaveLength(1)
    expect(s.cutAt[0]! - started).toBeGreaterThanOrEqual(250)
  })

  it('cuts answered connections that do not close within a second', async () => {
    const s = standIn()
    const closer = gracefulCloser(s.server)
    const res = s.request()
    const started = Date.now()
    const closed = closer.close(5_000)
    setTimeout(() => res.emit('close'), 50)
    expect(await closed).toBe(0)
    expect(s.cutAt[0]! - started).toBeGreaterThanOrEqual(950)
    expect(s.cutAt[0]! - started).toBeLessThan(3_000)
  })

  it('cuts at once when the grace period ends with requests in flight', async () => {
    const s = standIn()
    const closer = gracefulCloser(s.server)
    s.request()
    const started = Date.now()
    expect(await closer.close(200)).toBe(1)
    expect(s.cutAt[0]! - started).toBeGreaterThanOrEqual(190)
    expect(s.cutAt[0]! - started).toBeLessThan(2_000)
  })
})
